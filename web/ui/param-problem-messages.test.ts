import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { formatProblem, type Problem } from '../../shared/problems'
import { JoinRequestSchema, parseBody, parseTaskParams, TaskParamsSchema, TestReportSchema, ValidationReportSchema } from '../../shared/wire'
import { SecaggAdvertiseSchema, SecaggSharesSchema } from '../../shared/wire/secure-aggregation'
import { problemLine, problemMessage } from './dataset-messages'
import { translate, type Lang, type Translate } from './i18n'
import { PARAM_CODES } from './param-problem-messages'

const tr = (lang: Lang): Translate => (key, vars) => translate(lang, key, vars)
const en = tr('en')
const zh = tr('zh')

const dp = { mode: 'central', clip_norm: 1, noise_multiplier: 1 }

/** Task parameters that between them give every problem parseTaskParams has, and each wording of it. */
const PARAMS: unknown[] = [
  [1],
  '20',
  5,
  true,
  { max_rounds: -1, merge_epochs: 1.5, calculation_timeout: 0, trim_ratio: 0.5, seed: 'x', log_rounds: [], patience: {}, evaluate_initial: 'yes' },
  { aggregation: 'mean', update_norm: null, server_optimizer: 7, differential_privacy: 5, secure_aggregation: [] },
  { differential_privacy: { ...dp, delta: 1, foo: 1 }, server_momentum: 1, proximal_mu: -1 },
  { differential_privacy: { mode: 'central' } },
  { max_round: 5, server_lr: 0.5, nonsense: 1, learning_rate: 0.01, batch_size: 8, epochs: 2 },
  { participants_per_round: 2.5, min_participants: 5, max_participants: 2 },
  { server_optimizer: 'fedadam', server_momentum: 0.9 },
  { server_optimizer: 'fedavgm', beta_1: 0.9, tau: 0.1 },
  { differential_privacy: dp, aggregation: 'median', update_norm: 'off', max_update_norm: 3 },
  { differential_privacy: { ...dp, delta: 0.5, target_epsilon: 0.01 }, aggregation: 'trimmed-mean', update_norm: 'refuse' },
  { secure_aggregation: {}, aggregation: 'median', update_norm: 'refuse' },
  { secure_aggregation: { threshold: 5, degree: 4 }, aggregation: 'trimmed-mean', update_norm: 'off', min_participants: 2 },
  { secure_aggregation: {}, max_update_norm: 1e7, min_participants: 3 },
  { secure_aggregation: { threshold: 11 }, differential_privacy: { ...dp, mode: 'distributed', clip_norm: 1e6 }, min_participants: 30 },
]

/** Request bodies of other routes (parseBody, the same wording): text, lengths, lists, a pattern, and number rules no parameter has. */
function bodyProblems(): Problem[] {
  const bare = v.object({ a: v.number(), b: v.pipe(v.number(), v.maxValue(5)), c: v.pipe(v.number(), v.ltValue(5)), d: v.pipe(v.string(), v.check(() => false)) })
  const runs = [
    parseBody(JoinRequestSchema, { invite: '', name: 'n'.repeat(101), labelCounts: 'x', token: 3 }, 'join'),
    parseBody(JoinRequestSchema, { invite: 4, name: 'a', labelCounts: { a: { train: 1, validation: 0, test: 0 } } }, 'join'),
    parseBody(JoinRequestSchema, { name: 'a', labelCounts: {} }, 'join'),
    parseBody(TestReportSchema, { examples: 1, loss: 0, confusion: 'x' }, 'report'),
    parseBody(ValidationReportSchema, { examples: -1, correct: 0, loss: 0 }, 'report'),
    parseBody(SecaggAdvertiseSchema, { attempt: 1, examples: 1, maskKey: '!!', shareKey: '' }, 'advertise'),
    parseBody(SecaggSharesSchema, { attempt: 1, selfCommitment: '', maskCommitment: '', sealed: Array.from({ length: 255 }, () => ({ to: 'a', bytes: '' })) }, 'shares'),
    parseBody(bare, { a: 'x', b: 6, c: 6, d: 'y' }, 'body'),
  ]
  return runs.flatMap((r) => (r.ok ? [] : r.problems))
}

function paramProblems(): Problem[] {
  return PARAMS.flatMap((input) => {
    const r = parseTaskParams(input)
    return r.ok ? [] : r.problems
  })
}

const problems = [...paramProblems(), ...bodyProblems()]
// PARAM_CODES lists every code (the compiler holds it to ParamProblemCause): a new one fails these tests until an input above gives it.


/** The names of the task parameters and of their nested settings: shown as written in every language. */
const NAMES = [
  ...Object.keys(TaskParamsSchema.entries),
  ...['differential_privacy.', 'secure_aggregation.', 'mode', 'clip_norm', 'noise_multiplier', 'delta', 'target_epsilon', 'degree', 'threshold'],
]
/** Values, notation and formulas a Chinese sentence may hold verbatim. */
const VERBATIM = ['"fedavg"', '"clip"', '"max_rounds"', 'true', 'false', 'JSON', 'L2', 'clip_norm / m', '1/n', ' n ', '1e-5', '2⌈log₂ n⌉', 'config.json']
/** valibot's and typeof's names of a value found, which the page words: never shown in Chinese. */
const WORDED = new Set(['Array', 'Object', 'an array', 'string', 'number', 'boolean'])

/** Every string and number inside a problem's params, however deep (a number rule's bounds, the options). */
function valuesOf(x: unknown): string[] {
  if (typeof x === 'string') return WORDED.has(x) ? [] : [x]
  if (typeof x === 'number') return [String(x)]
  if (x !== null && typeof x === 'object') return Object.values(x).flatMap(valuesOf)
  return []
}

/** The Latin left in a Chinese sentence once the names it may hold are taken out ("" when none). */
function latinLeft(text: string, names: string[]): string {
  let rest = text
  for (const name of [...names, ...NAMES, ...VERBATIM].filter((n) => n !== '').sort((a, b) => b.length - a.length)) rest = rest.split(name).join(' ')
  return (rest.match(/[A-Za-z]+/g) ?? []).join(' ')
}

describe('task parameter problems', () => {
  it('the inputs give every code, and every wording of the codes with variants', () => {
    expect(new Set(problems.map((p) => p.code))).toEqual(new Set(Object.keys(PARAM_CODES)))
    const messages = problems.map((p) => p.message)
    for (const re of [
      /^must be a whole number from 1 to 10000, got -1$/,
      /^must be a number > 0 and ≤ 604800, got 0$/,
      /^must be a number ≥ 0 and < 1, got 1$/,
      /^must be a number > 0 and < 1, got 1$/,
      /^must be a whole number ≥ 0, got -1$/,
      /^must be a number ≤ 5, got 6$/,
      /^must be a number < 5, got 6$/,
      /^must be a number, got "x"$/,
      /, got a list$/,
      /, got an object$/,
      /^must be something else, got "y"$/,
      /^must have at least 1 character, got 0$/,
      /^must have at most 100 characters, got 101$/,
      /^must have at most 254 items, got 255$/,
      /got an array$/,
      /got string$/,
      /got number$/,
      /got boolean$/,
      /^is not a task parameter; correct/,
      /^is not a task parameter \(did you mean "max_rounds"\?\)/,
      /^is not a task parameter \(did you mean "server_optimizer", "server_learning_rate" or "server_momentum"\?\)/,
      /^applies to server_optimizer "fedavgm", not "fedadam"/,
      /^applies to server_optimizer "fedadam" or "fedyogi", not "fedavgm"/,
      /^"median" cannot be combined with differential_privacy/,
      /^"trimmed-mean" cannot be combined with differential_privacy/,
      /^"off" cannot be combined with differential_privacy/,
      /^"refuse" cannot be combined with differential_privacy/,
      /^"median" cannot be combined with secure_aggregation/,
      /^"trimmed-mean" cannot be combined with secure_aggregation/,
      /^"off" cannot be combined with secure_aggregation/,
      /^"refuse" cannot be combined with secure_aggregation/,
      /\(at most 1048576\)$/,
      /\(at most 1048576 including ten standard deviations of the distributed noise\)$/,
    ]) {
      expect(messages).toContainEqual(expect.stringMatching(re))
    }
    expect(problems.filter((p) => p.code === 'param-bundle-setting').map((p) => p.field)).toEqual(['learning_rate', 'batch_size', 'epochs'])
  })

  it('words each problem in English exactly as shared/wire does, in the same one line', () => {
    for (const p of problems) {
      expect(problemMessage(p, en)).toBe(p.message)
      expect(problemLine(p, en)).toBe(formatProblem(p))
    }
  })

  it('words them in Chinese, with no English besides parameter names and values', () => {
    for (const p of problems) {
      const line = problemLine(p, zh)
      expect(line, formatProblem(p)).not.toMatch(/\{\w+\}/)
      const values = valuesOf('params' in p ? p.params : undefined)
      expect(latinLeft(problemMessage(p, zh), values), formatProblem(p)).toBe('')
      expect(latinLeft(line, [p.file, p.field ?? '', ...values]), formatProblem(p)).toBe('')
    }
  })

  it('reads as the create page shows it', () => {
    const lines = problems.map((p) => problemLine(p, zh))
    expect(lines).toEqual(
      expect.arrayContaining([
        'params: max_rounds 应为介于 1 到 10000 之间的整数，实际为 -1',
        'params: calculation_timeout 应为数字（> 0 且 ≤ 604800），实际为 0',
        'params: log_rounds 应为介于 0 到 10000 之间的整数，实际为 列表',
        'params: aggregation 应为 "fedavg"、"median"、"trimmed-mean" 之一，实际为 "mean"',
        'params: server_lr 不是任务参数（是否想写 "server_optimizer"、"server_learning_rate" 或 "server_momentum"？）；请改正或删除',
        'params: 应为由任务参数组成的 JSON 对象（{"max_rounds": 20, …}），实际为 数组',
        'params: beta_1 只适用于 server_optimizer "fedadam" 或 "fedyogi"，不适用于 "fedavgm"；请删除它或更改 server_optimizer',
        'join: invite 至少应有 1 个字符，实际为 0',
      ]),
    )
  })

  it('shows a message the schema set itself as it is, in both languages', () => {
    const r = parseBody(JoinRequestSchema, { invite: 'x', name: '  ', labelCounts: {} }, 'join')
    const p = r.ok ? undefined : r.problems[0]
    expect(p?.code).toBeUndefined()
    if (p) expect(problemLine(p, zh)).toBe('join: name is empty; give a name the initiator will recognise')
  })
})

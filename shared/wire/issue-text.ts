import type * as v from 'valibot'
import type { NumberRule, ParamProblemCause } from '../problems'

/** A valibot schema or action as far as wording needs it: its kind, type, and the parts that nest or bound it. */
type Node = {
  kind?: string
  type?: string
  requirement?: unknown
  wrapped?: Node
  pipe?: Node[]
  entries?: Record<string, Node>
  item?: Node
  value?: Node
  options?: unknown[]
}

const DEFAULT_MESSAGE = /^Invalid \w+: (Expected .* but received|Received) /
const NUMBER_ISSUES = new Set(['number', 'integer', 'min_value', 'max_value', 'gt_value', 'lt_value', 'finite', 'safe_integer'])

/** The schema of the field an issue is about, found by following its path; optional wrappers removed. */
function fieldSchema(root: Node, issue: v.BaseIssue<unknown>): Node | undefined {
  const unwrap = (n: Node | undefined): Node | undefined => {
    let s = n
    while (s && s.wrapped) s = s.wrapped
    return s
  }
  let s = unwrap(root)
  for (const item of issue.path ?? []) {
    if (!s) return undefined
    const key = String(item.key)
    if (s.entries) s = unwrap(s.entries[key])
    else if (s.value) s = unwrap(s.value)
    else if (s.item) s = unwrap(s.item)
    else return undefined
  }
  return s
}

/** What a number field's pipe admits: whole or not, and its lower and upper bounds. */
function numberRule(field: Node | undefined): NumberRule {
  const actions = field?.pipe ?? []
  const has = (type: string) => actions.find((a) => a.type === type)
  const lo = has('min_value') ?? has('gt_value')
  const hi = has('max_value') ?? has('lt_value')
  return {
    whole: has('integer') !== undefined,
    ...(lo ? { min: { value: String(lo.requirement), inclusive: lo.type === 'min_value' } } : {}),
    ...(hi ? { max: { value: String(hi.requirement), inclusive: hi.type === 'max_value' } } : {}),
  }
}

/** "a whole number from 1 to 10000", "a number > 0 and ≤ 1000", "a number": a NumberRule in English. */
function numberRuleText(rule: NumberRule): string {
  const what = rule.whole ? 'a whole number' : 'a number'
  const { min, max } = rule
  if (min?.inclusive && max?.inclusive) return `${what} from ${min.value} to ${max.value}`
  const lo = min && `${min.inclusive ? '≥' : '>'} ${min.value}`
  const hi = max && `${max.inclusive ? '≤' : '<'} ${max.value}`
  if (lo && hi) return `${what} ${lo} and ${hi}`
  if (lo ?? hi) return `${what} ${lo ?? hi}`
  return what
}

/** valibot's "received" in words: `Array` and `Object` are its names for any list and object. */
function got(received: string): string {
  if (received === 'Array') return 'a list'
  if (received === 'Object') return 'an object'
  return received
}

/** An issue's English and, unless the schema set its own message, the code and values it is made of. */
export type IssueWords = { message: string } & (ParamProblemCause | { code?: undefined; params?: undefined })

/**
 * One valibot issue as the rest of a sentence after the field's name ("must be a whole number from 1 to
 * 10000, got -1", "is required"): worded from the issue's kind, type, expected and received values and
 * the field's schema, so every schema gets the same wording. A message the schema set itself is kept, with
 * no code (a page shows it as it is).
 */
export function issueText(schema: v.GenericSchema, issue: v.BaseIssue<unknown>): IssueWords {
  if (!DEFAULT_MESSAGE.test(issue.message)) return { message: issue.message }
  const received = issue.received
  const field = fieldSchema(schema as unknown as Node, issue)
  if (issue.kind === 'schema' && issue.received === 'undefined' && issue.type !== 'strict_object') return { message: 'is required', code: 'param-required' }
  if (issue.type === 'strict_object' && issue.expected === 'never') return { message: 'is not a known key; remove it', code: 'param-unknown-key' }
  if (NUMBER_ISSUES.has(issue.type)) {
    const rule = numberRule(field)
    return { message: `must be ${numberRuleText(rule)}, got ${got(received)}`, code: 'param-number', params: { rule, received } }
  }
  switch (issue.type) {
    case 'picklist': {
      const options = (field?.options ?? []).map((o) => JSON.stringify(o))
      return { message: `must be one of ${options.join(', ')}, got ${got(received)}`, code: 'param-one-of', params: { options, received } }
    }
    case 'string':
      return { message: `must be text (a JSON string), got ${got(received)}`, code: 'param-text', params: { received } }
    case 'boolean':
      return { message: `must be true or false, got ${got(received)}`, code: 'param-boolean', params: { received } }
    case 'object':
    case 'strict_object':
    case 'record':
      return { message: `must be a JSON object, got ${got(received)}`, code: 'param-object', params: { received } }
    case 'array':
      return { message: `must be a list, got ${got(received)}`, code: 'param-list', params: { received } }
    case 'min_length':
    case 'max_length': {
      const n = Number(issue.requirement)
      const unit = typeof issue.input === 'string' ? 'character' : 'item'
      const bound = issue.type === 'min_length' ? 'min' : 'max'
      return {
        message: `must have ${bound === 'min' ? 'at least' : 'at most'} ${n} ${unit}${n === 1 ? '' : 's'}, got ${issue.received}`,
        code: 'param-length',
        params: { bound, count: n, unit, received },
      }
    }
    default: {
      const expected = issue.expected ?? null
      return { message: `must be ${expected ?? 'something else'}, got ${got(received)}`, code: 'param-invalid', params: { expected, received } }
    }
  }
}

import type { NumberRule, ParamProblemCode, Problem } from '../../shared/problems'
import { listText } from './file-problem-messages'
import type { StringKey, Translate } from './i18n'

/*
 * The task parameters' problems (the create page's advanced panel, shared/wire parseTaskParams) in the page's
 * language, composed from the code and values shared gives beside its English (shared/wire issue-text.ts,
 * param-problems.ts, secagg-problems.ts). In English the result is that English exactly
 * (param-problem-messages.test.ts); parameter names, JSON values and numbers are shown as written.
 */

/** A problem with a ParamProblemCause code. */
export type ParamProblem = Extract<Problem, { code: ParamProblemCode }>

/** Every code, so the compiler names one added to ParamProblemCause and not to this list. */
export const PARAM_CODES: Record<ParamProblemCode, true> = {
  'param-required': true,
  'param-unknown-key': true,
  'param-number': true,
  'param-one-of': true,
  'param-text': true,
  'param-boolean': true,
  'param-object': true,
  'param-list': true,
  'param-length': true,
  'param-invalid': true,
  'param-not-a-parameter': true,
  'param-bundle-setting': true,
  'params-not-object': true,
  'param-per-round-fraction': true,
  'param-min-over-max': true,
  'param-other-optimizer': true,
  'dp-aggregation': true,
  'dp-update-norm': true,
  'dp-max-update-norm': true,
  'dp-delta': true,
  'dp-target-epsilon': true,
  'secagg-aggregation': true,
  'secagg-update-norm': true,
  'secagg-bound-required': true,
  'secagg-ring-bound': true,
  'secagg-min-participants': true,
  'secagg-threshold-round': true,
  'secagg-threshold-degree': true,
  'secagg-threshold-default': true,
}

/** True for a task parameter's problem. */
export function isParamProblem(p: Problem): p is ParamProblem {
  return p.code !== undefined && Object.hasOwn(PARAM_CODES, p.code)
}

/** valibot's and typeof's names of a value found that we word; any other (`-1`, `"abc"`, `Date`) is a value, shown as it is. */
const RECEIVED_KEYS = new Map<string, StringKey>([
  ['Array', 'paramReceived.list'],
  ['Object', 'paramReceived.object'],
  ['an array', 'paramReceived.array'],
  ['string', 'paramReceived.string'],
  ['number', 'paramReceived.number'],
  ['boolean', 'paramReceived.boolean'],
])

function receivedText(t: Translate, received: string): string {
  const key = RECEIVED_KEYS.get(received)
  return key === undefined ? received : t(key)
}

/** What a number field admits (shared/wire numberRuleText in English). */
function ruleText(t: Translate, rule: NumberRule): string {
  const what = t(rule.whole ? 'paramRule.whole' : 'paramRule.number')
  const { min, max } = rule
  if (min?.inclusive && max?.inclusive) return t('paramRule.range', { what, min: min.value, max: max.value })
  const lo = min && t(min.inclusive ? 'paramRule.min' : 'paramRule.gt', { value: min.value })
  const hi = max && t(max.inclusive ? 'paramRule.max' : 'paramRule.lt', { value: max.value })
  if (lo && hi) return t('paramRule.bounds', { what, lo, hi })
  const bound = lo ?? hi
  return bound ? t('paramRule.bound', { what, bound }) : what
}

/** "a", "a or b", "a, b or c" (shared/problems didYouMean's list). */
function orList(t: Translate, items: readonly string[]): string {
  if (items.length <= 1) return items.join('')
  return t('paramList.or', { list: listText(t, items.slice(0, -1)), last: items[items.length - 1] })
}

const quoted = (names: readonly string[]): string[] => names.map((n) => `"${n}"`)

/** A task parameter's problem in the page's language. */
export function paramProblemMessage(p: ParamProblem, t: Translate): string {
  switch (p.code) {
    case 'param-required':
      return t('paramProblem.required')
    case 'param-unknown-key':
      return t('paramProblem.unknownKey')
    case 'param-number':
      return t('paramProblem.number', { rule: ruleText(t, p.params.rule), received: receivedText(t, p.params.received) })
    case 'param-one-of':
      return t('paramProblem.oneOf', { options: listText(t, p.params.options), received: receivedText(t, p.params.received) })
    case 'param-text':
      return t('paramProblem.text', { received: receivedText(t, p.params.received) })
    case 'param-boolean':
      return t('paramProblem.boolean', { received: receivedText(t, p.params.received) })
    case 'param-object':
      return t('paramProblem.object', { received: receivedText(t, p.params.received) })
    case 'param-list':
      return t('paramProblem.list', { received: receivedText(t, p.params.received) })
    case 'param-length': {
      const { bound, count, unit, received } = p.params
      const amount = unit === 'character' ? t(count === 1 ? 'paramUnit.charactersOne' : 'paramUnit.characters', { count }) : t(count === 1 ? 'paramUnit.itemsOne' : 'paramUnit.items', { count })
      // The length found, a number: valibot's received of a length issue is never a type's name.
      return t(bound === 'min' ? 'paramProblem.lengthMin' : 'paramProblem.lengthMax', { amount, received })
    }
    case 'param-invalid': {
      const { expected, received } = p.params
      return expected === null ? t('paramProblem.invalidOther', { received: receivedText(t, received) }) : t('paramProblem.invalid', { expected, received: receivedText(t, received) })
    }
    case 'param-not-a-parameter': {
      const { meant } = p.params
      return meant.length === 0 ? t('paramProblem.notParameter') : t('paramProblem.notParameterMeant', { names: orList(t, quoted(meant)) })
    }
    case 'param-bundle-setting':
      return t(`paramProblem.bundle.${p.params.key}`)
    case 'params-not-object':
      return t('paramProblem.notObject', { received: receivedText(t, p.params.received) })
    case 'param-per-round-fraction':
      return t('paramProblem.perRoundFraction')
    case 'param-min-over-max':
      return t('paramProblem.minOverMax', p.params)
    case 'param-other-optimizer':
      return t('paramProblem.otherOptimizer', { owners: quoted(p.params.owners).join(t('paramList.orSeparator')), optimizer: p.params.optimizer })
    case 'dp-aggregation':
      return t(p.params.aggregation === 'median' ? 'paramProblem.dp.median' : 'paramProblem.dp.trimmedMean', p.params)
    case 'dp-update-norm':
      return t(p.params.updateNorm === 'off' ? 'paramProblem.dp.updateNormOff' : 'paramProblem.dp.updateNormRefuse', p.params)
    case 'dp-max-update-norm':
      return t('paramProblem.dp.maxUpdateNorm')
    case 'dp-delta':
      return t('paramProblem.dp.delta', p.params)
    case 'dp-target-epsilon':
      return t('paramProblem.dp.targetEpsilon', p.params)
    case 'secagg-aggregation':
      return t(p.params.aggregation === 'median' ? 'paramProblem.secagg.median' : 'paramProblem.secagg.trimmedMean', p.params)
    case 'secagg-update-norm':
      return t(p.params.updateNorm === 'off' ? 'paramProblem.secagg.updateNormOff' : 'paramProblem.secagg.updateNormRefuse', p.params)
    case 'secagg-bound-required':
      return t('paramProblem.secagg.boundRequired')
    case 'secagg-ring-bound': {
      const { bound, max, distributed } = p.params
      return t(distributed ? 'paramProblem.secagg.ringBoundNoise' : 'paramProblem.secagg.ringBound', { bound, max })
    }
    case 'secagg-min-participants':
      return t('paramProblem.secagg.minParticipants', p.params)
    case 'secagg-threshold-round':
      return t('paramProblem.secagg.thresholdRound', p.params)
    case 'secagg-threshold-degree':
      return t('paramProblem.secagg.thresholdDegree', p.params)
    case 'secagg-threshold-default':
      return t('paramProblem.secagg.thresholdDefault', p.params)
  }
}

import type * as v from 'valibot'

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

/** "a whole number from 1 to 10000", "a number > 0 and ≤ 1000", "a number" — what a number field's pipe admits. */
function numberRule(field: Node | undefined): string {
  const actions = field?.pipe ?? []
  const has = (type: string) => actions.find((a) => a.type === type)
  const whole = has('integer') !== undefined
  const lo = has('min_value') ?? has('gt_value')
  const hi = has('max_value') ?? has('lt_value')
  const what = whole ? 'a whole number' : 'a number'
  const bound = (a: Node) => `${a.type === 'min_value' ? '≥' : a.type === 'gt_value' ? '>' : a.type === 'max_value' ? '≤' : '<'} ${String(a.requirement)}`
  if (lo && hi && lo.type === 'min_value' && hi.type === 'max_value') return `${what} from ${String(lo.requirement)} to ${String(hi.requirement)}`
  if (lo && hi) return `${what} ${bound(lo)} and ${bound(hi)}`
  if (lo) return `${what} ${bound(lo)}`
  if (hi) return `${what} ${bound(hi)}`
  return what
}

/** valibot's "received" in words: `Array` and `Object` are its names for any list and object. */
function got(received: string): string {
  if (received === 'Array') return 'a list'
  if (received === 'Object') return 'an object'
  return received
}

/**
 * One valibot issue as the rest of a sentence after the field's name ("must be a whole number from 1 to
 * 10000, got -1", "is required"): worded from the issue's kind, type, expected and received values and
 * the field's schema, so every schema gets the same wording. A message the schema set itself is kept.
 */
export function issueText(schema: v.GenericSchema, issue: v.BaseIssue<unknown>): string {
  if (!DEFAULT_MESSAGE.test(issue.message)) return issue.message
  const received = got(issue.received)
  const field = fieldSchema(schema as unknown as Node, issue)
  if (issue.kind === 'schema' && issue.received === 'undefined' && issue.type !== 'strict_object') return 'is required'
  if (issue.type === 'strict_object' && issue.expected === 'never') return 'is not a known key; remove it'
  if (NUMBER_ISSUES.has(issue.type)) return `must be ${numberRule(field)}, got ${received}`
  switch (issue.type) {
    case 'picklist': {
      const options = field?.options ?? []
      return `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}, got ${received}`
    }
    case 'string':
      return `must be text (a JSON string), got ${received}`
    case 'boolean':
      return `must be true or false, got ${received}`
    case 'object':
    case 'strict_object':
    case 'record':
      return `must be a JSON object, got ${received}`
    case 'array':
      return `must be a list, got ${received}`
    case 'min_length':
    case 'max_length': {
      const n = Number(issue.requirement)
      const unit = typeof issue.input === 'string' ? 'character' : 'item'
      return `must have ${issue.type === 'min_length' ? 'at least' : 'at most'} ${n} ${unit}${n === 1 ? '' : 's'}, got ${issue.received}`
    }
    default:
      return `must be ${issue.expected ?? 'something else'}, got ${received}`
  }
}

import type { ParticipantRecord, TaskRecord } from './types'

/** A split a validate or test phase evaluates on. */
export type EvalSplit = 'validation' | 'test'

/** Images of `split` a participant declared at join (sum over its labels). */
export function declaredSize(p: ParticipantRecord, split: EvalSplit): number {
  let n = 0
  for (const c of Object.values(p.labelCounts)) n += c[split]
  return n
}

/**
 * The participants a phase still waits for on `split`: expected, not left, and holding images of that
 * split. A participant whose folder has no validation (or test) images never reports one (the
 * participant loop skips an empty evaluation), so waiting for it would hold every phase to its timeout.
 */
export function awaited(rec: TaskRecord, split: EvalSplit, reported: readonly string[]): string[] {
  return rec.expected.filter((id) => {
    if (reported.includes(id)) return false
    const p = rec.participants.find((x) => x.id === id)
    return p !== undefined && !p.left && declaredSize(p, split) > 0
  })
}

/** Whether any participant that has not left (online or not) declared images of `split`. */
export function anyoneHas(rec: TaskRecord, split: EvalSplit): boolean {
  return rec.participants.some((p) => !p.left && declaredSize(p, split) > 0)
}

/**
 * Everyone the open phase waits for has reported: in `test`, the test reports; in `validate`, the
 * validation reports and, when a test is due (log_rounds), the test reports. Only participants that
 * declared images of the split count.
 */
export function reportsComplete(rec: TaskRecord): boolean {
  if (rec.phase === 'test') return awaited(rec, 'test', rec.testReported).length === 0
  const val = awaited(rec, 'validation', rec.reported).length === 0
  const tst = !rec.testDue || awaited(rec, 'test', rec.testReported).length === 0
  return val && tst
}

import type { ProblemCause } from './codes'

export { didYouMean, likelyMeant } from './likely-meant'
export type { FileProblemCause, FileProblemCode, JsonExpected, ProblemCause, ProblemCode } from './codes'
export type { BundleSetting, NumberRule, ParamProblemCause, ParamProblemCode } from './param-codes'
export type { BundleFile, BundleProblemCause, BundleProblemCode } from './bundle-codes'

/** Plural helper for the sentences a person reads: "1 file", "3 files". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

/**
 * One problem found in user input, named so a person can act on it:
 * `config.json: entry_class is required`. Parsers collect all of them instead of stopping at the first. A code
 * (ProblemCause) lets a page word the common ones in its own language.
 */
export type Problem = {
  /** The file the problem is in, relative to the chosen folder. */
  file: string
  /** The field, key, line or position inside the file, if there is one. */
  field?: string
  /** What is wrong and, where possible, what to do, in English. */
  message: string
} & (ProblemCause | { code?: undefined; params?: undefined })

/** A parse result: the value, or every problem found. */
export type Result<T> = { ok: true; value: T; warnings?: Problem[] } | { ok: false; problems: Problem[] }

/** Formats a problem as one line: `file: field message` or `file: message`. */
export function formatProblem(p: Problem): string {
  return p.field ? `${p.file}: ${p.field} ${p.message}` : `${p.file}: ${p.message}`
}

/** An error carrying problems, for code paths that must throw (the CLI and the UI print `problems`, never the stack). */
export class ProblemError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'))
    this.name = 'ProblemError'
  }
}

/** The value of an ok result; otherwise throws a ProblemError naming every problem (for builders, whose callers turn it into a message). */
export function valueOrThrow<T>(result: Result<T>): T {
  if (!result.ok) throw new ProblemError(result.problems)
  return result.value
}

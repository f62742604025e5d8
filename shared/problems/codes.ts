import type { BundleProblemCause } from './bundle-codes'
import type { ParamProblemCause } from './param-codes'

/**
 * Problems a page words in its own language: a code and the values the English message is made of. The
 * English stays the problem's `message` (the CLI prints it); web/ui/dataset-messages.ts composes the
 * same sentence, in English or Chinese, from these. Problems without a code are shown as their message.
 * They are the dataset problems a person meets choosing a folder (shared/dataset/messages.ts) and the problems
 * of its label files (FileProblemCause), the problems of a task's parameters (ParamProblemCause) and of a model
 * bundle (BundleProblemCause).
 */
export type ProblemCause =
  | { code: 'no-images' }
  | { code: 'unsupported-images'; params: { count: number; extensions: string[] } }
  | { code: 'single-class-folder'; params: { count: number; label: string } }
  | { code: 'no-labelled-images'; params: { unlabelled: number } }
  | { code: 'none-readable'; params: { count: number; training: boolean } }
  | { code: 'unknown-labels'; params: { unknown: string[]; taskLabels: string[] } }
  | { code: 'unknown-labels-left-out'; params: { count: number; unknown: string[]; taskLabels: string[] } }
  | { code: 'no-training-images'; params: { imageFolder: boolean } }
  | { code: 'untrained-labels'; params: { labels: string[] } }
  | { code: 'no-test-split' }
  | { code: 'copies-across-splits'; params: { count: number; first: string; second: string } }
  | { code: 'copies-across-labels'; params: { count: number; first: string; second: string } }
  | { code: 'extra-csvs'; params: { ignored: string[] } }
  | FileProblemCause
  | ParamProblemCause
  | BundleProblemCause

/**
 * What a syntax error in a JSON file expected (shared/json parseJson): `"true"`, `"false"` and `"null"` are the
 * literals, `valid-json` the fallback when the scan finds nothing.
 */
export type JsonExpected =
  | 'string'
  | 'closing-quote'
  | 'closing-quote-line'
  | 'hex-digits'
  | 'escape'
  | 'digit'
  | 'colon'
  | 'comma-or-brace'
  | 'comma-or-bracket'
  | 'value'
  | 'end'
  | 'true'
  | 'false'
  | 'null'
  | 'valid-json'

/**
 * Problems of the files a person writes by hand: JSON syntax, a dataset's CSV label table and its annotation.json
 * (shared/json, shared/dataset/file-problems.ts). `line` is a 1-based line of the file, shown in the field;
 * `shown` and `more` are a long list cut to its first few names and how many were left out.
 */
export type FileProblemCause =
  | { code: 'invalid-json'; params: { line: number; column: number; expected: JsonExpected; found: string | null } }
  | { code: 'csv-missing-columns'; params: { idColumns?: string[]; labelColumns?: string[]; columns: string[] } }
  | { code: 'csv-syntax'; params: { line?: number; parserCode: string; parserMessage: string } }
  | { code: 'csv-empty-id'; params: { line: number; column: string } }
  | { code: 'csv-path-outside'; params: { line: number; column: string; value: string } }
  | { code: 'csv-more-row-problems'; params: { count: number } }
  | { code: 'csv-images-not-found'; params: { count: number; root: string; shown: string[]; more: number } }
  | { code: 'csv-bad-splits'; params: { values: string[] } }
  | { code: 'csv-ambiguous-ids'; params: { count: number; id: string; matches: string[] } }
  | { code: 'csv-repeated-rows'; params: { count: number } }
  | { code: 'annotation-not-object' }
  | { code: 'annotation-labels-required' }
  | { code: 'annotation-labels-not-names' }
  | { code: 'annotation-labels-repeated'; params: { labels: string[] } }
  | { code: 'annotation-labels-empty' }
  | { code: 'annotation-split-not-list' }
  | { code: 'annotation-item-not-object' }
  | { code: 'annotation-path-missing' }
  | { code: 'annotation-path-outside'; params: { value: string } }
  | { code: 'annotation-tags-not-list' }
  | { code: 'annotation-tag-not-label' }
  | { code: 'annotation-label-unknown'; params: { label: string } }
  | { code: 'annotation-files-not-found'; params: { count: number; shown: string[]; more: number } }
  | { code: 'annotation-train-required' }
  | { code: 'annotation-repeated-items'; params: { count: number; at: string; earlier: string } }
  | { code: 'annotation-multiple-tags'; params: { count: number; at: string; used: number } }

/** The codes of ProblemCause. */
export type ProblemCode = ProblemCause['code']
/** The codes of FileProblemCause. */
export type FileProblemCode = FileProblemCause['code']

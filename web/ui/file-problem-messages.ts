import type { FileProblemCode, JsonExpected, Problem } from '../../shared/problems'
import type { StringKey, Translate } from './i18n'

/*
 * The problems of hand-written files (JSON syntax, a dataset's CSV and annotation.json) in the page's language,
 * composed from the code and values shared gives beside its English (shared/dataset/file-problems.ts,
 * shared/json). In English the result is that English exactly (dataset-messages.test.ts).
 */

/** A problem with a FileProblemCause code. */
export type FileProblem = Extract<Problem, { code: FileProblemCode }>

const EXPECTED_KEYS: Record<JsonExpected, StringKey> = {
  string: 'json.expected.string',
  'closing-quote': 'json.expected.closingQuote',
  'closing-quote-line': 'json.expected.closingQuoteLine',
  'hex-digits': 'json.expected.hexDigits',
  escape: 'json.expected.escape',
  digit: 'json.expected.digit',
  colon: 'json.expected.colon',
  'comma-or-brace': 'json.expected.commaOrBrace',
  'comma-or-bracket': 'json.expected.commaOrBracket',
  value: 'json.expected.value',
  end: 'json.expected.end',
  true: 'json.expected.true',
  false: 'json.expected.false',
  null: 'json.expected.null',
  'valid-json': 'json.expected.validJson',
}

/** papaparse's error codes (its ParseError `code`) that have words of ours; any other shows the parser's message. */
const CSV_PARSE_KEYS = new Map<string, StringKey>([
  ['MissingQuotes', 'csv.parse.MissingQuotes'],
  ['InvalidQuotes', 'csv.parse.InvalidQuotes'],
  ['TooFewFields', 'csv.parse.TooFewFields'],
  ['TooManyFields', 'csv.parse.TooManyFields'],
  ['UndetectableDelimiter', 'csv.parse.UndetectableDelimiter'],
])

/** A list of labels or file names, verbatim, with the language's separator (English ", " as shared writes it). */
export function listText(t: Translate, names: readonly string[]): string {
  return names.join(t('join.listSeparator'))
}

/** Values quoted as shared quotes them (JSON strings), in a list. */
function quotedList(t: Translate, values: readonly string[]): string {
  return listText(t, values.map((v) => JSON.stringify(v)))
}

/** A list cut to its first few names (shared/dataset/layout.ts few), with how many more. */
function fewText(t: Translate, { shown, more }: { shown: readonly string[]; more: number }): string {
  return more > 0 ? t('fileList.more', { shown: listText(t, shown), more }) : listText(t, shown)
}

/** The sentence for `n`: English needs the singular; the key pairs leave Chinese free to word both alike. */
function counted(t: Translate, n: number, many: StringKey, one: StringKey, vars: Record<string, string | number> = {}): string {
  return t(n === 1 ? one : many, { count: n, ...vars })
}

/** A problem's field in the page's language: a CSV line is ours to word ("line 5 image_id"); JSON paths and column names stay as written. */
export function problemField(p: Problem, t: Translate): string | undefined {
  switch (p.code) {
    case 'csv-syntax':
      return p.params.line === undefined ? p.field : t('fileField.line', { line: p.params.line })
    case 'csv-empty-id':
    case 'csv-path-outside':
      return `${t('fileField.line', { line: p.params.line })} ${p.params.column}`
    default:
      return p.field
  }
}

/** A hand-written file's problem in the page's language. */
export function fileProblemMessage(p: FileProblem, t: Translate): string {
  switch (p.code) {
    case 'invalid-json': {
      const { line, column, expected, found } = p.params
      return t('json.invalid', { line, column, expected: t(EXPECTED_KEYS[expected]), found: found === null ? t('json.foundEnd') : JSON.stringify(found) })
    }
    case 'csv-missing-columns': {
      const { idColumns, labelColumns, columns } = p.params
      const id = idColumns === undefined ? undefined : t('csv.needsId', { names: listText(t, idColumns) })
      const label = labelColumns === undefined ? undefined : t('csv.needsLabel', { names: listText(t, labelColumns) })
      const needed = id !== undefined && label !== undefined ? t('csv.needsBoth', { id, label }) : (id ?? label ?? '')
      return t('csv.needs', { needed, columns: columns.length === 0 ? t('csv.noColumns') : listText(t, columns) })
    }
    case 'csv-syntax': {
      const key = CSV_PARSE_KEYS.get(p.params.parserCode)
      return key === undefined ? p.params.parserMessage : t(key, { message: p.params.parserMessage })
    }
    case 'csv-empty-id':
      return t('csv.emptyId')
    case 'csv-path-outside':
      return t('csv.pathOutside', { value: JSON.stringify(p.params.value) })
    case 'csv-more-row-problems':
      return counted(t, p.params.count, 'csv.moreRowProblems', 'csv.moreRowProblemsOne')
    case 'csv-images-not-found': {
      const { count, root } = p.params
      const names = fewText(t, p.params)
      return root === '' ? counted(t, count, 'csv.notFound', 'csv.notFoundOne', { names }) : counted(t, count, 'csv.notFoundBelow', 'csv.notFoundBelowOne', { root, names })
    }
    case 'csv-bad-splits':
      return t('csv.badSplits', { values: quotedList(t, p.params.values) })
    case 'csv-ambiguous-ids':
      return counted(t, p.params.count, 'csv.ambiguous', 'csv.ambiguousOne', { id: p.params.id, matches: listText(t, p.params.matches) })
    case 'csv-repeated-rows':
      return counted(t, p.params.count, 'csv.repeatedRows', 'csv.repeatedRowsOne')
    case 'annotation-not-object':
      return t('annotation.notObject')
    case 'annotation-labels-required':
      return t('annotation.labelsRequired')
    case 'annotation-labels-not-names':
      return t('annotation.labelsNotNames')
    case 'annotation-labels-repeated':
      return t('annotation.labelsRepeated', { labels: quotedList(t, p.params.labels) })
    case 'annotation-labels-empty':
      return t('annotation.labelsEmpty')
    case 'annotation-split-not-list':
      return t('annotation.splitNotList')
    case 'annotation-item-not-object':
      return t('annotation.itemNotObject')
    case 'annotation-path-missing':
      return t('annotation.pathMissing')
    case 'annotation-path-outside':
      return t('annotation.pathOutside', { value: JSON.stringify(p.params.value) })
    case 'annotation-tags-not-list':
      return t('annotation.tagsNotList')
    case 'annotation-tag-not-label':
      return t('annotation.tagNotLabel')
    case 'annotation-label-unknown':
      return t('annotation.labelUnknown', { label: JSON.stringify(p.params.label) })
    case 'annotation-files-not-found':
      return counted(t, p.params.count, 'annotation.filesNotFound', 'annotation.filesNotFoundOne', { names: fewText(t, p.params) })
    case 'annotation-train-required':
      return t('annotation.trainRequired')
    case 'annotation-repeated-items':
      return counted(t, p.params.count, 'annotation.repeatedItems', 'annotation.repeatedItemsOne', { at: p.params.at, earlier: p.params.earlier })
    case 'annotation-multiple-tags':
      return counted(t, p.params.count, 'annotation.multipleTags', 'annotation.multipleTagsOne', { at: p.params.at, used: p.params.used })
  }
}

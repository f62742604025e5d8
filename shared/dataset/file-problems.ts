import { count, type Problem } from '../problems'
import { ANNOTATION_FILE, few, fewText } from './layout'

/*
 * The English of the problems in a dataset's label files (the CSV table, annotation.json), each made with its
 * code and values (shared/problems FileProblemCause) as messages.ts does for the folder's: the CLI prints the
 * English, a page words the code in its own language (web/ui/file-problem-messages.ts, whose tests check its
 * English against these).
 */

/** "line 5": the field of a CSV row's problem (the header is line 1). */
function lineField(line: number, column?: string): string {
  return column === undefined ? `line ${line}` : `line ${line} ${column}`
}

/** A CSV with no id or no label column; the `…Columns` are examples of the names looked for, given for the missing ones. */
export function csvMissingColumns(file: string, params: { idColumns?: string[]; labelColumns?: string[]; columns: string[] }): Problem {
  const { idColumns, labelColumns, columns } = params
  const needed = [
    idColumns === undefined ? '' : `an image id column (${idColumns.join(', ')})`,
    labelColumns === undefined ? '' : `a label column (${labelColumns.join(', ')})`,
  ].filter(Boolean)
  return { file, message: `needs ${needed.join(' and ')}; its columns are ${columns.join(', ') || '(none)'}`, code: 'csv-missing-columns', params }
}

/** A CSV parser error (papaparse's `code` and English `message`), at the file's `line` (1-based) when known. */
export function csvSyntax(file: string, error: { code: string; message: string }, line?: number): Problem {
  return {
    file,
    field: line === undefined ? undefined : lineField(line),
    message: error.message,
    code: 'csv-syntax',
    params: { ...(line === undefined ? {} : { line }), parserCode: error.code, parserMessage: error.message },
  }
}

/** A CSV row whose id column is empty. */
export function csvEmptyId(file: string, line: number, column: string): Problem {
  return { file, field: lineField(line, column), message: 'is empty: name the image file', code: 'csv-empty-id', params: { line, column } }
}

/** A CSV row whose id is a path leaving the folder (`value` as written). */
export function csvPathOutside(file: string, line: number, column: string, value: string): Problem {
  return { file, field: lineField(line, column), message: `${JSON.stringify(value)} points outside the folder`, code: 'csv-path-outside', params: { line, column, value } }
}

/** The row problems beyond those listed one by one. */
export function csvMoreRowProblems(file: string, n: number): Problem {
  return { file, message: `and ${count(n, 'more row problem')}`, code: 'csv-more-row-problems', params: { count: n } }
}

/** Ids in the CSV's `column` that match no image below `root` ("" for the chosen folder itself). */
export function csvImagesNotFound(file: string, column: string, root: string, missing: readonly string[]): Problem {
  const cut = few(missing)
  return {
    file,
    field: column,
    message: `names ${count(missing.length, 'image')} not found below ${root === '' ? 'the folder' : root}: ${fewText(cut)}`,
    code: 'csv-images-not-found',
    params: { count: missing.length, root, ...cut },
  }
}

/** Values of the split `column` that name no split. */
export function csvBadSplits(file: string, column: string, values: string[]): Problem {
  return {
    file,
    field: column,
    message: `has values ${values.map((v) => JSON.stringify(v)).join(', ')}; use train, validation or test`,
    code: 'csv-bad-splits',
    params: { values },
  }
}

/** A warning: `n` ids match several images; the first, `id`, matched `matches` (two of them). */
export function csvAmbiguousIds(file: string, column: string, n: number, id: string, matches: string[]): Problem {
  return {
    file,
    field: column,
    message: `${count(n, 'id')} ${n === 1 ? 'matches' : 'match'} more than one image; the first was used (${id}: ${matches.join(', ')})`,
    code: 'csv-ambiguous-ids',
    params: { count: n, id, matches },
  }
}

/** A warning: `n` rows name an image an earlier row named. */
export function csvRepeatedRows(file: string, n: number): Problem {
  return {
    file,
    message: `${count(n, 'row')} ${n === 1 ? 'repeats' : 'repeat'} an image already listed; the first row was used`,
    code: 'csv-repeated-rows',
    params: { count: n },
  }
}

/** annotation.json is valid JSON but not an object. */
export function annotationNotObject(file: string): Problem {
  return { file, message: 'must be a JSON object with "labels", "Train", "Validation" and "Test"', code: 'annotation-not-object' }
}

/** annotation.json has no `labels`. */
export function annotationLabelsRequired(file: string): Problem {
  return { file, field: 'labels', message: 'is required: the list of label names', code: 'annotation-labels-required' }
}

/** `labels` (spelt `field`) is not a list of non-empty strings. */
export function annotationLabelsNotNames(file: string, field: string): Problem {
  return { file, field, message: 'must be a list of non-empty label names', code: 'annotation-labels-not-names' }
}

/** `labels` names some labels twice (each once here). */
export function annotationLabelsRepeated(file: string, field: string, labels: string[]): Problem {
  return { file, field, message: `lists ${labels.map((l) => JSON.stringify(l)).join(', ')} more than once`, code: 'annotation-labels-repeated', params: { labels } }
}

/** `labels` is an empty list. */
export function annotationLabelsEmpty(file: string, field: string): Problem {
  return { file, field, message: 'is empty: list the label names', code: 'annotation-labels-empty' }
}

/** A split (Train, Validation, Test) that is neither a list nor null. */
export function annotationSplitNotList(file: string, field: string): Problem {
  return { file, field, message: 'must be a list of {"path", "tags"} items or null', code: 'annotation-split-not-list' }
}

/** An item of a split that is not an object. */
export function annotationItemNotObject(file: string, field: string): Problem {
  return { file, field, message: 'must be an object with "path" and "tags"', code: 'annotation-item-not-object' }
}

/** An item's path missing, empty or not a string. */
export function annotationPathMissing(file: string, field: string): Problem {
  return { file, field, message: 'must be a file path inside the folder', code: 'annotation-path-missing' }
}

/** An item's path leaving the folder (`value` as written). */
export function annotationPathOutside(file: string, field: string, value: string): Problem {
  return {
    file,
    field,
    message: `${JSON.stringify(value)} points outside the folder; paths are relative to the folder holding ${ANNOTATION_FILE}`,
    code: 'annotation-path-outside',
    params: { value },
  }
}

/** An item's tags neither a list nor null. */
export function annotationTagsNotList(file: string, field: string): Problem {
  return { file, field, message: 'must be a list of {"label", "source"} or null', code: 'annotation-tags-not-list' }
}

/** A tag without a string label. */
export function annotationTagNotLabel(file: string, field: string): Problem {
  return { file, field, message: 'must be a label name (a string)', code: 'annotation-tag-not-label' }
}

/** A tag's label that `labels` does not list. */
export function annotationLabelUnknown(file: string, field: string, label: string): Problem {
  return { file, field, message: `${JSON.stringify(label)} is not in labels`, code: 'annotation-label-unknown', params: { label } }
}

/** Paths a split lists that are not in the folder. */
export function annotationFilesNotFound(file: string, field: string, missing: readonly string[]): Problem {
  const cut = few(missing)
  return {
    file,
    field,
    message: `lists ${count(missing.length, 'file')} not found in the folder (paths are relative to the folder holding ${ANNOTATION_FILE}): ${fewText(cut)}`,
    code: 'annotation-files-not-found',
    params: { count: missing.length, ...cut },
  }
}

/** annotation.json has no Train list. */
export function annotationTrainRequired(file: string): Problem {
  return { file, field: 'Train', message: 'is required: the list of training images', code: 'annotation-train-required' }
}

/** A warning: `n` items list an image listed before; the first of them is `at`, repeating `earlier` (JSON paths). */
export function annotationRepeatedItems(file: string, n: number, at: string, earlier: string): Problem {
  return {
    file,
    message: `${count(n, 'item')} ${n === 1 ? 'lists' : 'list'} an image already listed; only the first listing was used (${at} repeats ${earlier})`,
    code: 'annotation-repeated-items',
    params: { count: n, at, earlier },
  }
}

/** A warning: `n` items have several tags; the first of them is `at`, whose tags[`used`] was taken. */
export function annotationMultipleTags(file: string, n: number, at: string, used: number): Problem {
  return {
    file,
    message: `${count(n, 'item')} ${n === 1 ? 'has' : 'have'} more than one tag; the first manual tag was used (first: ${at} (used tags[${used}]))`,
    code: 'annotation-multiple-tags',
    params: { count: n, at, used },
  }
}

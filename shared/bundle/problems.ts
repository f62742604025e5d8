import type { BundleFile, BundleProblemCause, Problem } from '../problems'

/** What to add for each file a bundle must hold. */
const MISSING: Record<BundleFile, string> = {
  card: 'add the Model Card with YAML front matter (name, tasks, license, author)',
  config: 'add it with entry_module (or entry_file), entry_class and param_file',
  preprocessor: 'add it with at least the input size, e.g. {"size": 224}',
}

/** A bundle problem in English, as the CLI and the aggregator say it (the pages word the code: web/ui/bundle-problem-messages.ts). */
export function bundleProblemText(c: BundleProblemCause): string {
  switch (c.code) {
    case 'zip-unreadable':
      return `is not a readable zip archive (${c.params.reason}); pick a bundle zip made by autofed, or a bundle folder`
    case 'zip-too-big':
      return `unpacks to more than ${c.params.mb} MB; a bundle should hold only the model card, configs and weights`
    case 'zip-path-outside':
      return 'is a path outside the bundle folder; refusing to unpack it'
    case 'zip-empty':
      return 'holds no files'
    case 'bundle-file-missing':
      return `is missing; ${MISSING[c.params.file]}`
    case 'bundle-file-not-in-bundle':
      return `names ${c.params.path}, which is not in the bundle`
    case 'config-not-object':
      return 'must be a JSON object'
    case 'config-entry-both':
      return 'entry_file and entry_module are both set; keep exactly one'
    case 'config-entry-none':
      return 'entry_file or entry_module is required (exactly one)'
    case 'config-entry-file-name':
      return 'must be a file name'
    case 'config-path-outside':
      return 'must be a path inside the bundle'
    case 'config-entry-file-js':
      return 'must name a JavaScript ES module (.js or .mjs)'
    case 'config-entry-module':
      return 'must be the name of a built-in architecture, such as autofed.models.cnn'
    case 'config-required':
      return 'is required'
    case 'config-non-empty-string':
      return 'must be a non-empty string'
    case 'config-param-file-type':
      return 'must name a .safetensors file or a tfjs model.json'
    case 'id2label-not-object':
      return 'must be an object mapping "0", "1", … to label names'
    case 'id2label-key-missing':
      return `must have the keys "0" to "${c.params.last}"; "${c.params.missing}" is missing`
    case 'id2label-empty-name':
      return 'must be a non-empty label name'
    case 'id2label-repeated':
      return `repeats the label "${c.params.label}"`
    case 'id2label-missing':
      return 'is missing; it is needed to know the classes when the task gives no labels'
    case 'label2id-not-object':
      return 'must be an object mapping label names to 0, 1, …'
    case 'label2id-not-id':
      return 'must be a non-negative integer'
    case 'label2id-mismatch':
      return `does not match id2label: id2label says ${c.params.id} is "${c.params.label}", label2id says ${c.params.other ?? 'nothing'}`
    case 'label2id-count':
      return `has ${c.params.count} labels but id2label has ${c.params.labels}`
    case 'card-no-front-matter':
      return 'must start with YAML front matter between two "---" lines (name, tasks, license, author)'
    case 'card-yaml': {
      const { line, column, reason } = c.params
      return `front matter is not valid YAML${line === null ? '' : ` at line ${line}, column ${column}`}: ${reason}`
    }
    case 'card-not-mapping':
      return 'front matter must be a YAML mapping of keys (name, tasks, license, author)'
    case 'card-required':
      return 'is required'
    case 'card-non-empty-string':
      return 'must be a non-empty string'
    case 'card-list':
      return 'must be a list of strings'
    case 'card-tasks-required':
      return `is required; list ${c.params.task}`
    case 'card-tasks-missing':
      return `must contain ${c.params.task} (found: ${c.params.found.length > 0 ? c.params.found.join(', ') : 'none'})`
    case 'card-boolean':
      return 'must be true or false'
  }
}

/** A bundle problem in `file` (at `field`, if any), with its English message and its code. */
export function bundleProblem(file: string, field: string | undefined, cause: BundleProblemCause): Problem {
  return field === undefined ? { file, message: bundleProblemText(cause), ...cause } : { file, field, message: bundleProblemText(cause), ...cause }
}

/**
 * Problems of a model bundle a person meets building one for the create page: its zip, the files it must hold,
 * the Model Card's front matter, config.json's fields and its labels (shared/bundle/problems.ts writes the English from these; the pages word
 * them in their own language, web/ui/bundle-problem-messages.ts). `label`, `path`, `task` and `found` are as
 * written in the bundle; `reason` is the YAML parser's own English.
 */
export type BundleProblemCause =
  | { code: 'zip-unreadable'; params: { reason: string } }
  | { code: 'zip-too-big'; params: { mb: number } }
  | { code: 'zip-path-outside' }
  | { code: 'zip-empty' }
  | { code: 'bundle-file-missing'; params: { file: BundleFile } }
  | { code: 'bundle-file-not-in-bundle'; params: { path: string } }
  | { code: 'config-not-object' }
  | { code: 'config-entry-both' }
  | { code: 'config-entry-none' }
  | { code: 'config-entry-file-name' }
  | { code: 'config-path-outside' }
  | { code: 'config-entry-file-js' }
  | { code: 'config-entry-module' }
  | { code: 'config-required' }
  | { code: 'config-non-empty-string' }
  | { code: 'config-param-file-type' }
  | { code: 'id2label-not-object' }
  | { code: 'id2label-key-missing'; params: { last: number; missing: number } }
  | { code: 'id2label-empty-name' }
  | { code: 'id2label-repeated'; params: { label: string } }
  | { code: 'id2label-missing' }
  | { code: 'label2id-not-object' }
  | { code: 'label2id-not-id' }
  | { code: 'label2id-mismatch'; params: { id: number; label: string; other: number | null } }
  | { code: 'label2id-count'; params: { count: number; labels: number } }
  | { code: 'card-no-front-matter' }
  | { code: 'card-yaml'; params: { line: number | null; column: number | null; reason: string } }
  | { code: 'card-not-mapping' }
  | { code: 'card-required' }
  | { code: 'card-non-empty-string' }
  | { code: 'card-list' }
  | { code: 'card-tasks-required'; params: { task: string } }
  | { code: 'card-tasks-missing'; params: { task: string; found: string[] } }
  | { code: 'card-boolean' }

/** The files every bundle must hold. */
export type BundleFile = 'card' | 'config' | 'preprocessor'

/** The codes of BundleProblemCause. */
export type BundleProblemCode = BundleProblemCause['code']

import type { BundleFile, BundleProblemCode, Problem } from '../../shared/problems'
import type { StringKey, Translate } from './i18n'

/*
 * A model bundle's problems (its zip, missing files, config.json's fields and labels) in the page's language,
 * composed from the code and values shared/bundle gives beside its English (shared/bundle/problems.ts). In
 * English the result is that English exactly (bundle-problem-messages.test.ts); labels and paths as written.
 */

/** A problem with a BundleProblemCause code. */
export type BundleProblem = Extract<Problem, { code: BundleProblemCode }>

/** Every bundle code with the key of its sentence, when that sentence has no values (the others are worded below). */
const KEYS: Record<BundleProblemCode, StringKey | null> = {
  'zip-unreadable': null,
  'zip-too-big': null,
  'zip-path-outside': 'bundleProblem.zipPathOutside',
  'zip-empty': 'bundleProblem.zipEmpty',
  'bundle-file-missing': null,
  'bundle-file-not-in-bundle': null,
  'config-not-object': 'bundleProblem.configNotObject',
  'config-entry-both': 'bundleProblem.entryBoth',
  'config-entry-none': 'bundleProblem.entryNone',
  'config-entry-file-name': 'bundleProblem.entryFileName',
  'config-path-outside': 'bundleProblem.pathOutside',
  'config-entry-file-js': 'bundleProblem.entryFileJs',
  'config-entry-module': 'bundleProblem.entryModule',
  'config-required': 'bundleProblem.required',
  'config-non-empty-string': 'bundleProblem.nonEmptyString',
  'config-param-file-type': 'bundleProblem.paramFileType',
  'id2label-not-object': 'bundleProblem.id2labelNotObject',
  'id2label-key-missing': null,
  'id2label-empty-name': 'bundleProblem.id2labelEmptyName',
  'id2label-repeated': null,
  'id2label-missing': 'bundleProblem.id2labelMissing',
  'label2id-not-object': 'bundleProblem.label2idNotObject',
  'label2id-not-id': 'bundleProblem.label2idNotId',
  'label2id-mismatch': null,
  'label2id-count': null,
  'card-no-front-matter': 'bundleProblem.cardNoFrontMatter',
  'card-yaml': null,
  'card-not-mapping': 'bundleProblem.cardNotMapping',
  'card-required': 'bundleProblem.required',
  'card-non-empty-string': 'bundleProblem.nonEmptyString',
  'card-list': 'bundleProblem.cardList',
  'card-tasks-required': null,
  'card-tasks-missing': null,
  'card-boolean': 'bundleProblem.cardBoolean',
}

const MISSING_KEYS: Record<BundleFile, StringKey> = {
  card: 'bundleProblem.missingCard',
  config: 'bundleProblem.missingConfig',
  preprocessor: 'bundleProblem.missingPreprocessor',
}

/** True for a model bundle's problem. */
export function isBundleProblem(p: Problem): p is BundleProblem {
  return p.code !== undefined && Object.hasOwn(KEYS, p.code)
}

/** A model bundle's problem in the page's language. */
export function bundleProblemMessage(p: BundleProblem, t: Translate): string {
  switch (p.code) {
    case 'zip-unreadable':
      // The unzipper's own words stay as they came.
      return t('bundleProblem.zipUnreadable', p.params)
    case 'zip-too-big':
      return t('bundleProblem.zipTooBig', p.params)
    case 'bundle-file-missing':
      return t(MISSING_KEYS[p.params.file])
    case 'bundle-file-not-in-bundle':
      return t('bundleProblem.notInBundle', p.params)
    case 'id2label-key-missing':
      return t('bundleProblem.id2labelKeyMissing', p.params)
    case 'id2label-repeated':
      return t('bundleProblem.id2labelRepeated', p.params)
    case 'label2id-mismatch': {
      const { id, label, other } = p.params
      return t('bundleProblem.label2idMismatch', { id, label, other: other === null ? t('bundleProblem.nothing') : other })
    }
    case 'label2id-count':
      return t('bundleProblem.label2idCount', p.params)
    case 'card-yaml': {
      // The YAML parser's own words stay as they came.
      const { line, column, reason } = p.params
      return line === null ? t('bundleProblem.cardYaml', { reason }) : t('bundleProblem.cardYamlAt', { line, column: column ?? '', reason })
    }
    case 'card-tasks-required':
      return t('bundleProblem.cardTasksRequired', p.params)
    case 'card-tasks-missing': {
      const { task, found } = p.params
      return t('bundleProblem.cardTasksMissing', { task, found: found.length > 0 ? found.join(t('join.listSeparator')) : t('bundleProblem.none') })
    }
    default: {
      const key = KEYS[p.code]
      // Every code without values has a key (KEYS); a null here would be a code added without its words.
      return key === null ? p.message : t(key)
    }
  }
}

import type { SkippedFile } from '../../shared/dataset'
import type { CutShortEnd } from '../../shared/image-format'
import { formatProblem, type Problem } from '../../shared/problems'
import { fileProblemMessage, listText as list, problemField } from './file-problem-messages'
import type { StringKey, Translate } from './i18n'
import { bundleProblemMessage, isBundleProblem } from './bundle-problem-messages'
import { isParamProblem, paramProblemMessage } from './param-problem-messages'

/*
 * The dataset's skip reasons and problems in the page's language, composed from the code and values
 * shared/dataset gives beside its English (shared/dataset/messages.ts; the label files' problems in
 * file-problem-messages.ts). In English the result is that English exactly; whatever has no code (a decoder's
 * message) is shown as it came.
 */

const END_KEYS: Record<CutShortEnd['end'], StringKey> = {
  'in-iend': 'skip.end.inIend',
  'in-chunk': 'skip.end.inChunk',
  'no-iend': 'skip.end.noIend',
  'no-scan': 'skip.end.noScan',
  'no-eoi': 'skip.end.noEoi',
  'in-image-block': 'skip.end.inImageBlock',
  'riff-bytes': 'skip.end.riffBytes',
  'header-bytes': 'skip.end.headerBytes',
}

type Noun = 'image' | 'imageFile' | 'trainingImage' | 'unlabelledImage' | 'label'

/** "1 image", "3 images" (English needs the singular; the key pairs keep Chinese free to word both alike). */
function counted(t: Translate, n: number, noun: Noun): string {
  return n === 1 ? t(`dataCount.${noun}One`) : t(`dataCount.${noun}`, { count: n })
}

/** Why a skipped file was left out, in the page's language; its English reason when it has no code. */
export function skipReasonText(s: SkippedFile, t: Translate): string {
  const unreadable = (why: string) => t('skip.unreadable', { why })
  switch (s.code) {
    case undefined:
      return s.reason
    case 'outside-splits':
      return t('skip.outsideSplits')
    case 'unsupported-type':
      return t('skip.unsupportedType', { ext: s.params.ext || t('skip.noExtension') })
    case 'not-in-label-folder':
      return t('skip.notInLabelFolder')
    case 'unlabelled-no-tags':
      return t('skip.unlabelledNoTags')
    case 'unlabelled-empty':
      return t('skip.unlabelledEmpty', s.params)
    case 'not-listed':
      return t('skip.notListed', s.params)
    case 'cannot-read':
      return unreadable(t('skip.cannotRead', s.params))
    case 'empty-file':
      return unreadable(t('skip.emptyFile'))
    case 'not-an-image':
      return unreadable(t('skip.notAnImage'))
    case 'bad-header':
      return unreadable(t('skip.badHeader', s.params))
    case 'cut-short':
      return unreadable(t('skip.cutShort', { format: s.params.format, end: t(END_KEYS[s.params.end], s.params) }))
    case 'undecodable':
      // The decoder's own words: only the frame is the page's.
      return unreadable(s.params.message)
  }
}

/** A problem's message in the page's language; its English message when it has no code. */
export function problemMessage(p: Problem, t: Translate): string {
  switch (p.code) {
    case undefined:
      return p.message
    case 'no-images':
      return t('dataProblem.noImages')
    case 'unsupported-images':
      return t('dataProblem.unsupportedImages', { files: counted(t, p.params.count, 'imageFile'), extensions: list(t, p.params.extensions) })
    case 'single-class-folder':
      return t('dataProblem.singleClass', { images: counted(t, p.params.count, 'image'), label: p.params.label })
    case 'no-labelled-images':
      return t('dataProblem.noLabelled', { unlabelled: counted(t, p.params.unlabelled, 'unlabelledImage') })
    case 'none-readable': {
      const { count, training } = p.params
      return t(count === 1 ? 'dataProblem.noneReadableOne' : 'dataProblem.noneReadable', { images: counted(t, count, training ? 'trainingImage' : 'image') })
    }
    case 'unknown-labels': {
      const { unknown, taskLabels } = p.params
      return t('dataProblem.unknownLabels', { labels: counted(t, unknown.length, 'label'), unknown: list(t, unknown), taskLabels: list(t, taskLabels) })
    }
    case 'unknown-labels-left-out': {
      const { count, unknown, taskLabels } = p.params
      return t('dataProblem.unknownLeftOut', { images: counted(t, count, 'image'), labels: counted(t, unknown.length, 'label'), unknown: list(t, unknown), taskLabels: list(t, taskLabels) })
    }
    case 'no-training-images':
      return t(p.params.imageFolder ? 'dataProblem.noTrainingFolder' : 'dataProblem.noTraining')
    case 'untrained-labels':
      return t('dataProblem.untrained', { labels: list(t, p.params.labels) })
    case 'no-test-split':
      return t('dataProblem.noTestSplit')
    case 'copies-across-splits':
    case 'copies-across-labels': {
      const { count, first, second } = p.params
      const key = p.code === 'copies-across-splits' ? 'dataProblem.copiesAcrossSplits' : 'dataProblem.copiesAcrossLabels'
      return t(count === 1 ? key : `${key}More`, { images: counted(t, count, 'image'), first, second })
    }
    case 'extra-csvs':
      return t('dataProblem.extraCsvs', { ignored: list(t, p.params.ignored) })
    default:
      if (isParamProblem(p)) return paramProblemMessage(p, t)
      if (isBundleProblem(p)) return bundleProblemMessage(p, t)
      return fileProblemMessage(p, t)
  }
}

/** A problem as one line (formatProblem's `file: field message`) with its field and message in the page's language. */
export function problemLine(p: Problem, t: Translate): string {
  return formatProblem({ ...p, field: problemField(p, t), message: problemMessage(p, t) })
}

import type { Problem } from '../../shared/problems'
import type { Translate } from './i18n'

/** The create page's Labels field as a list: comma separated, each trimmed, empty entries dropped. */
export function labelsOfField(text: string): string[] {
  return text.split(',').map((l) => l.trim()).filter((l) => l.length > 0)
}

/**
 * What is wrong with the Labels field, named as the field (the task's bundle would otherwise be refused for its
 * config.json, a file the initiator never edited): fewer than two labels, or a label listed twice.
 */
export function labelFieldProblems(labels: readonly string[], t: Translate): Problem[] {
  const field = t('create.labelsField')
  if (labels.length < 2) return [{ file: field, message: t(labels.length === 0 ? 'create.labelsEmpty' : 'create.labelsOne') }]
  const twice = [...new Set(labels.filter((l, i) => labels.indexOf(l) !== i))]
  return twice.map((label) => ({ file: field, message: t('create.labelsTwice', { label }) }))
}

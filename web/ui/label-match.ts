import { taskSpelling } from '../../shared/dataset'

/** A label as a person reads it: surrounding spaces, letter case and full-width forms (NFKC) do not show. */
function looks(label: string): string {
  return label.normalize('NFKC').trim().toLowerCase()
}

/**
 * Labels a folder has that the task does not know (its images could not be trained on). A label that is one of the
 * task's in another Unicode form (a folder named on macOS) is known: training reads it as the task's.
 */
export function unknownLabels(folderLabels: readonly string[], taskLabels: readonly string[]): string[] {
  const spell = taskSpelling(taskLabels)
  return folderLabels.filter((l) => !taskLabels.includes(spell(l)))
}


/**
 * The task label an unknown folder label was probably meant to be: the one it differs from only by what a
 * person does not see ("1 " for "1", "１" for "1", "cat" for "Cat"); null when none or several do.
 */
export function probablyMeant(label: string, taskLabels: readonly string[]): string | null {
  const matches = taskLabels.filter((t) => t !== label && looks(t) === looks(label))
  return matches.length === 1 ? matches[0] : null
}

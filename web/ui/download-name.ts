/**
 * A file name for a download named after a task: task names are free text, so only letters, digits, `.`, `_` and
 * `-` are kept, every other run becoming one `_`; both of a task's downloads (result bundle, round history) use it.
 */
export function downloadName(taskName: string, suffix: string): string {
  return `${taskName.replace(/[^\p{L}\p{N}._-]+/gu, '_')}${suffix}`
}

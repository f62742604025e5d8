/**
 * True for the error a browser raises when this site may store no more: its quota is used up (a private
 * window's small one) or the disk is full. IndexedDB reports it as a QuotaExceededError, often with an
 * empty message, when the write's transaction commits.
 */
export function isStorageFull(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'QuotaExceededError'
}

/** What a person can do about it, for messages that name what was not saved. */
export const STORAGE_FULL_HELP =
  'this browser stores no more for this site (its storage is full: a nearly full disk, or the small limit of a private window). ' +
  'Free space on the disk, delete models you no longer need under Predict, or use a normal window'

/** A write refused because the browser's storage is full, naming what was not saved. */
export class StorageFull extends Error {
  constructor(what: string, why = '') {
    super(`${what} could not be saved: ${STORAGE_FULL_HELP}.${why ? ` ${why}` : ''}`)
    this.name = 'StorageFull'
  }
}

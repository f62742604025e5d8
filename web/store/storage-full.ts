/**
 * True for the error a browser raises when this site may store no more: its quota is used up (a private
 * window's small one) or the disk is full. IndexedDB reports it as a QuotaExceededError, often with an
 * empty message, when the write's transaction commits.
 */
export function isStorageFull(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'QuotaExceededError'
}

/** What a person can do about it, for messages that name what was not saved. */
const STORAGE_FULL_HELP =
  'this browser stores no more for this site (its storage is full: a nearly full disk, or the small limit of a private window). ' +
  'Free space on the disk, delete models you no longer need under Predict, or use a normal window'

/** A write refused because the browser's storage is full, naming what was not saved. */
export class StorageFull extends Error {
  constructor(what: string, why = '') {
    super(`${what} could not be saved: ${STORAGE_FULL_HELP}.${why ? ` ${why}` : ''}`)
    this.name = 'StorageFull'
  }
}

/** The message of an unknown thrown value, for a person: a full storage in words, else the error's own text. */
export function errorMessage(err: unknown): string {
  if (isStorageFull(err)) return `Not saved: ${STORAGE_FULL_HELP}.`
  // A DOMException can come with an empty message: its name is then all there is to say.
  if (err instanceof Error || err instanceof DOMException) return err.message || err.name
  return String(err)
}

/** The part of `navigator.storage` this module uses (absent on insecure pages and old browsers). */
export type StorageManagerLike = { persisted(): Promise<boolean>; persist(): Promise<boolean> }

const storageOf = (): StorageManagerLike | undefined => (typeof navigator === 'undefined' ? undefined : (navigator.storage as StorageManagerLike | undefined))

/**
 * Asks the browser to keep this site's storage when the disk runs low. Without it, a browser may delete the
 * whole origin's IndexedDB under storage pressure: models trained alone, the participant token of a task.
 * Chromium answers from how the site is used (bookmarked, installed, engagement) without asking; Firefox asks
 * the user. Returns whether it is granted; null where the browser has no such API.
 */
export async function askPersistence(storage: StorageManagerLike | undefined = storageOf()): Promise<boolean | null> {
  if (!storage?.persist || !storage.persisted) return null
  try {
    return (await storage.persisted()) || (await storage.persist())
  } catch {
    // A browser that refuses the question (a sandboxed frame) has not granted it.
    return false
  }
}

/** Whether the site's storage is kept when the disk runs low, without asking; null where unknown. */
export async function isPersisted(storage: StorageManagerLike | undefined = storageOf()): Promise<boolean | null> {
  if (!storage?.persisted) return null
  try {
    return await storage.persisted()
  } catch {
    return false
  }
}

import type { FileSource } from '../files'
import type { DatasetItem, Split } from './types'

/** Bytes hashed at each end of a file, and windows sampled between them. */
const END_BYTES = 4096
const WINDOWS = 8
const WINDOW_BYTES = 256

/**
 * A cheap key of a file's bytes: its length and an FNV-1a hash of its first and last 4 KiB and of eight windows
 * between them. Files with the same bytes have the same key; files with the same key are compared whole
 * (`confirmCopies`), so the key only has to make that comparison rare, not be unique.
 */
export function sampleKey(bytes: Uint8Array): string {
  let h = 0x811c9dc5
  const mix = (from: number, to: number) => {
    for (let i = Math.max(0, from); i < Math.min(bytes.length, to); i++) {
      h ^= bytes[i]
      h = Math.imul(h, 0x01000193)
    }
  }
  mix(0, END_BYTES)
  mix(bytes.length - END_BYTES, bytes.length)
  for (let w = 1; w <= WINDOWS; w++) {
    const at = Math.floor((bytes.length * w) / (WINDOWS + 1))
    mix(at, at + WINDOW_BYTES)
  }
  return `${bytes.length}:${(h >>> 0).toString(16)}`
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Groups of paths whose files hold the same bytes, from paths grouped by `sampleKey`: each candidate is read again
 * and compared whole with one file of each content met so far in its group, so memory holds one file per distinct
 * content (a folder of 10,000 identical blank images keeps one). Groups and their paths come out sorted, so the
 * result does not depend on listing order. A file that cannot be read again is left out.
 */
export async function confirmCopies(source: FileSource, byKey: ReadonlyMap<string, readonly string[]>): Promise<string[][]> {
  const copies: string[][] = []
  for (const paths of byKey.values()) {
    if (paths.length < 2) continue
    const contents: { bytes: Uint8Array; paths: string[] }[] = []
    for (const path of paths.slice().sort()) {
      let bytes: Uint8Array
      try {
        bytes = await source.read(path)
      } catch {
        // Read a moment ago; gone now. It is not counted as a copy.
        continue
      }
      const same = contents.find((c) => sameBytes(c.bytes, bytes))
      if (same) same.paths.push(path)
      else contents.push({ bytes, paths: [path] })
    }
    for (const c of contents) if (c.paths.length > 1) copies.push(c.paths)
  }
  return copies.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/** For each path that has copies, the first path of its group (what the validation draw keeps together). */
export function copyKeys(copies: readonly string[][]): Map<string, string> {
  return new Map(copies.flatMap((group) => group.map((path) => [path, group[0]] as [string, string])))
}

/** Copies found in more than one split, and copies filed under more than one label: the first of each and how many. */
export function copyConflicts(
  copies: readonly string[][],
  splits: Record<Split, readonly DatasetItem[]>,
): { acrossSplits: { count: number; first?: [string, string] }; acrossLabels: { count: number; first?: [string, string] } } {
  const where = new Map<string, { split: Split; label: string }>()
  for (const split of ['train', 'validation', 'test'] as const) for (const item of splits[split]) where.set(item.path, { split, label: item.label })
  const acrossSplits: { count: number; first?: [string, string] } = { count: 0 }
  const acrossLabels: { count: number; first?: [string, string] } = { count: 0 }
  for (const group of copies) {
    const used = group.filter((p) => where.has(p))
    const pairOf = (differs: (a: { split: Split; label: string }, b: { split: Split; label: string }) => boolean): [string, string] | undefined => {
      for (const a of used) for (const b of used) if (differs(where.get(a)!, where.get(b)!)) return [a, b]
      return undefined
    }
    const split = pairOf((a, b) => a.split === 'train' && b.split !== 'train') ?? pairOf((a, b) => a.split !== b.split)
    if (split) {
      acrossSplits.count++
      acrossSplits.first ??= split
    }
    const label = pairOf((a, b) => a.label !== b.label)
    if (label) {
      acrossLabels.count++
      acrossLabels.first ??= label
    }
  }
  return { acrossSplits, acrossLabels }
}

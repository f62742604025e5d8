import { unzipSync, zipSync, type Zippable } from 'fflate'
import { safeRelativePath } from '../files'
import type { Problem, Result } from '../problems'
import { bundleProblem } from './problems'

/** Largest total unpacked size accepted by default: far above any bundle we ship, far below a zip bomb. */
export const MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
/** A fixed timestamp, so zipping the same files twice gives the same bytes. */
const ZIP_TIME = new Date(2000, 0, 1)

/** Files that archivers add and that are never part of a bundle. */
const JUNK = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$)/

/**
 * Unpacks a zipped bundle into path → bytes. A single top-level folder is stripped (zipping a folder
 * usually wraps it), paths escaping the root are refused, and the total unpacked size is capped.
 */
export function unzipBundle(
  bytes: Uint8Array,
  options: { file?: string; maxBytes?: number } = {},
): Result<Map<string, Uint8Array>> {
  const file = options.file ?? 'bundle.zip'
  const maxBytes = options.maxBytes ?? MAX_UNZIPPED_BYTES
  const tooBig = bundleProblem(file, undefined, { code: 'zip-too-big', params: { mb: Math.round(maxBytes / 1024 / 1024) } })
  const problems: Problem[] = []
  let declared = 0
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (f.name.endsWith('/') || JUNK.test(f.name)) return false
        declared += f.originalSize
        return declared <= maxBytes
      },
    })
  } catch (err) {
    return { ok: false, problems: [bundleProblem(file, undefined, { code: 'zip-unreadable', params: { reason: err instanceof Error ? err.message : String(err) } })] }
  }
  if (declared > maxBytes) return { ok: false, problems: [tooBig] }

  const files = new Map<string, Uint8Array>()
  let total = 0
  for (const [name, data] of Object.entries(entries)) {
    total += data.byteLength
    const safe = safeRelativePath(name)
    if (safe === null) problems.push(bundleProblem(file, name, { code: 'zip-path-outside' }))
    else files.set(safe, data)
  }
  if (total > maxBytes) return { ok: false, problems: [tooBig] }
  if (problems.length > 0) return { ok: false, problems }
  if (files.size === 0) return { ok: false, problems: [bundleProblem(file, undefined, { code: 'zip-empty' })] }

  const tops = new Set([...files.keys()].map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')))
  const [top] = tops
  if (tops.size === 1 && top !== '') {
    const stripped = new Map<string, Uint8Array>()
    for (const [p, d] of files) stripped.set(p.slice(top.length + 1), d)
    return { ok: true, value: stripped }
  }
  return { ok: true, value: files }
}

/** Zips a bundle's files (paths at the archive root), deterministically. */
export function zipBundle(files: Map<string, Uint8Array>): Uint8Array {
  const tree: Zippable = {}
  for (const [path, data] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // Weights barely compress; storing them keeps zipping fast.
    tree[path] = [data, { level: /\.(safetensors|bin)$/.test(path) ? 0 : 6, mtime: ZIP_TIME }]
  }
  return zipSync(tree)
}

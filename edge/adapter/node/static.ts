import { readFile, realpath, stat } from 'node:fs/promises'
import { extname, join, relative } from 'node:path'
import { safeRelativePath } from '../../../shared/files'
import type { StaticFile } from '../../app'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
}

/** Serves files of the built web app (dist/) by URL path; null for anything outside it or missing. */
export function staticFiles(distDir: string): (path: string) => Promise<StaticFile | null> {
  return async (path) => {
    // URL paths start with '/', which safeRelativePath (rightly) refuses as absolute: it is the dist root here.
    const safe = safeRelativePath(decodeURIComponent(path).replace(/^\/+/, ''))
    if (safe === null) return null
    try {
      const root = await realpath(distDir)
      const file = await realpath(join(root, safe))
      if (relative(root, file).startsWith('..') || !(await stat(file)).isFile()) return null
      const buf = await readFile(file)
      return { body: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), type: TYPES[extname(file)] ?? 'application/octet-stream' }
    } catch {
      return null
    }
  }
}

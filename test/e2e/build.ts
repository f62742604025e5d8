import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** The repo's dist/, which `npm start` serves and the e2e tests share. */
export const DIST = resolve('dist')

/** What the web build is made from: a change in any of these makes dist/ stale. */
const INPUTS = ['web', 'shared', 'index.html', 'vite.config.ts', 'package-lock.json']

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/**
 * Builds the web app into dist/ unless dist/index.html is newer than every input, so the e2e files
 * of one run (and `npm start` beside them) share one build. Returns the dist folder.
 */
export function ensureBuild(): string {
  const built = existsSync(join(DIST, 'index.html')) ? statSync(join(DIST, 'index.html')).mtimeMs : 0
  const inputs = Math.max(...INPUTS.map((p) => newestMtime(resolve(p))))
  if (built <= inputs) execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { stdio: 'inherit' })
  return DIST
}

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../BENCHMARKS.md')

/** Replaces (or appends) the `<!-- name:start -->…<!-- name:end -->` block of BENCHMARKS.md with `body`; a temporary file and a rename, so a kill leaves the old file whole. */
export function writeBenchSection(name: string, body: string): void {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const block = `${start}\n${body}\n${end}`
  let text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n\nFigures written by the scripts in bench/; machine-dependent figures are ratios to a baseline measured in the same run.\n'
  const a = text.indexOf(start)
  const b = text.indexOf(end)
  text = a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + end.length) : `${text.trimEnd()}\n\n${block}\n`
  writeFileSync(`${FILE}.tmp`, text)
  renameSync(`${FILE}.tmp`, FILE)
}

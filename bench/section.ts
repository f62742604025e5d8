import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Replaces the section `name` of BENCHMARKS.md (between `<!-- name:start -->` and `<!-- name:end -->`) with a
 * `## title` heading and `lines`, or appends it when the file has no such section yet.
 */
export async function writeBenchmarkSection(name: string, title: string, lines: readonly string[]): Promise<void> {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'BENCHMARKS.md')
  const doc = await readFile(file, 'utf8')
  const open = `<!-- ${name}:start -->`
  const close = `<!-- ${name}:end -->`
  const section = [open, `## ${title}`, '', ...lines, close].join('\n')
  const start = doc.indexOf(open)
  const end = doc.indexOf(close)
  await writeFile(file, start >= 0 && end > start ? doc.slice(0, start) + section + doc.slice(end + close.length) : `${doc.trimEnd()}\n\n${section}\n`)
}

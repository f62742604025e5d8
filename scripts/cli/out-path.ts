// Checks of an output path (`--out`) before any work: a run of minutes or hours must not end in a write error
// with nothing kept.
import { access, constants, mkdir, stat } from 'node:fs/promises'
import { dirname } from 'node:path'

/** The nearest existing part of `path` (itself or a folder above it) when it is not a folder, else null. */
async function fileInTheWay(path: string): Promise<string | null> {
  for (let p = path; ; p = dirname(p)) {
    const info = await stat(p).catch(() => null)
    if (info) return info.isDirectory() ? null : p
    if (dirname(p) === p) return null
  }
}

/** Makes `folder` (and the folders above it) and checks it can be written into; `fail` words the error. */
async function writableFolder(folder: string, fail: (why: string) => Error): Promise<void> {
  try {
    await mkdir(folder, { recursive: true })
    await access(folder, constants.W_OK)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const file = code === 'ENOTDIR' || code === 'EEXIST' ? await fileInTheWay(folder) : null
    throw fail(file ? `${file} is not a folder` : `cannot write into ${folder} (${code ?? (e as Error).message})`)
  }
}

/**
 * Makes the folder that will hold `files` and checks they can be written there (none of them is a folder);
 * the error names `--out` as given and what to do.
 */
export async function prepareOutFiles(given: string, files: readonly string[]): Promise<void> {
  const fail = (why: string) => new Error(`--out ${given}: ${why}; give a file name in a folder you can write to`)
  await writableFolder(dirname(files[0]), fail)
  for (const file of files) {
    const existing = await stat(file).catch(() => null)
    if (existing?.isDirectory()) throw fail(`${file} is a folder`)
  }
}

/** Makes the output folder `--out` names (with the folders above it) and checks it can be written into. */
export async function prepareOutFolder(given: string, help = 'give a folder you can write to (it is made if missing)'): Promise<void> {
  const fail = (why: string) => new Error(`--out ${given}: ${why}; ${help}`)
  const existing = await stat(given).catch(() => null)
  if (existing && !existing.isDirectory()) throw fail(`${given} is a file`)
  await writableFolder(given, fail)
}

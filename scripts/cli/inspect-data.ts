import { stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { directorySource } from '../../edge/adapter/node/files'
import { readDataset, summarize, type DecodeImage } from '../../shared/dataset'
import { decodeImage } from '../../shared/decode'
import { sniffImageFormat } from '../../shared/image-format'
import { formatProblem, type Problem } from '../../shared/problems'
import type { Command } from './index'
import { parseArgsMessage } from './unknown-option'

const USAGE = 'autofed inspect data <dir> [--json] [--labels a,b,c] [--seed N] [--validation-fraction F] [--headers-only]'

/**
 * Decodes with the pure-JS decoders of shared/decode. WebP has none outside the browser, so a WebP file
 * is only checked by its header here (the browser decodes it with createImageBitmap).
 */
const decode: DecodeImage = async (bytes, path) => {
  if (sniffImageFormat(bytes) === 'webp') return null
  const decoded = decodeImage(bytes, path)
  if (!decoded.ok) throw new Error(decoded.problems.map((p) => p.message).join('; '))
  return null
}

function parse(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      labels: { type: 'string' },
      seed: { type: 'string' },
      'validation-fraction': { type: 'string' },
      'headers-only': { type: 'boolean' },
    },
  })
  if (positionals.length !== 1) throw new Error('give exactly one data folder')
  const labels = values.labels?.split(',').map((l) => l.trim()).filter((l) => l !== '')
  if (labels !== undefined && labels.length === 0) throw new Error('--labels needs a comma-separated list of labels')
  const number = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined
    const n = Number(v)
    if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${v}"`)
    return n
  }
  // Checked here, as readDataset would check them, so the message names the option rather than `options: seed`.
  const seed = number(values.seed, 'seed')
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}"`)
  const validationFraction = number(values['validation-fraction'], 'validation-fraction')
  if (validationFraction !== undefined && !(validationFraction >= 0 && validationFraction < 1)) {
    throw new Error(`--validation-fraction must be at least 0 and below 1, got "${values['validation-fraction']}"`)
  }
  return {
    dir: positionals[0],
    json: values.json === true,
    headersOnly: values['headers-only'] === true,
    taskLabels: labels,
    seed,
    validationFraction,
  }
}

/** Why a path cannot be opened as a data folder, or null when it can. */
export async function folderProblem(dir: string): Promise<Problem | null> {
  try {
    if (!(await stat(dir)).isDirectory()) return { file: dir, message: 'is not a folder; give the data folder' }
    return null
  } catch {
    return { file: dir, message: 'does not exist; give the data folder' }
  }
}

/** `autofed inspect data <dir>`: layout, labels, images per split and label, skipped files; or every problem. */
export const inspectData: Command = {
  usage: USAGE,
  async run(args) {
    let options: ReturnType<typeof parse>
    try {
      options = parse(args)
    } catch (err) {
      const message = parseArgsMessage(err, USAGE) ?? (err instanceof Error ? err.message : String(err))
      console.error(`autofed inspect data: ${message}\nusage: ${USAGE}`)
      return 2
    }
    const { dir, json } = options
    const fail = (problems: Problem[]) => {
      if (json) console.log(JSON.stringify({ ok: false, problems }, null, 2))
      else for (const p of problems) console.error(formatProblem(p))
      return 1
    }
    const missing = await folderProblem(dir)
    if (missing) return fail([missing])

    const showProgress = !json && process.stderr.isTTY
    const result = await readDataset(await directorySource(dir), {
      name: dir,
      seed: options.seed,
      validationFraction: options.validationFraction,
      taskLabels: options.taskLabels,
      check: {
        decode: options.headersOnly ? undefined : decode,
        onProgress: showProgress
          ? (done, total) => {
              if (done === total || done % 100 === 0) process.stderr.write(`\rchecking images ${done}/${total}${done === total ? '\n' : ''}`)
            }
          : undefined,
      },
    })
    if (!result.ok) return fail(result.problems)
    const d = result.value
    if (json) {
      const { splits: _items, ...rest } = d
      console.log(JSON.stringify({ ok: true, ...rest, total: { train: d.splits.train.length, validation: d.splits.validation.length, test: d.splits.test.length } }, null, 2))
      return 0
    }
    console.log(`data ${dir}`)
    console.log(summarize(d))
    if (options.headersOnly) console.log('images: headers checked, not decoded (--headers-only)')
    return 0
  },
}

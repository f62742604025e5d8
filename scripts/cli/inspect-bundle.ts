import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { directorySource } from '../../edge/adapter/node/files'
import { countParameters, labelsOf, loadBundle, trainableProblems, unzipBundle, type Bundle } from '../../shared/bundle'
import { fromMap, type FileSource } from '../../shared/files'
import { ProblemError, formatProblem, type Problem } from '../../shared/problems'
import type { Command } from './index'

const USAGE = 'autofed inspect bundle <dir|zip> [--json]'
const RESAMPLE = ['nearest', 'lanczos', 'bilinear', 'bicubic', 'box', 'hamming']

/** Opens a bundle given as a folder or a zip file on disk. */
async function openSource(path: string): Promise<FileSource | Problem[]> {
  let info
  try {
    info = await stat(path)
  } catch {
    return [{ file: path, message: 'does not exist; give a bundle folder or a .zip of one' }]
  }
  if (info.isDirectory()) return directorySource(path)
  const unzipped = unzipBundle(new Uint8Array(await readFile(path)), { file: basename(path) })
  return unzipped.ok ? fromMap(unzipped.value) : unzipped.problems
}

/**
 * Builds the model of a built-in architecture on the CPU backend and loads the weights into it, which
 * proves that the weights fit. Bundle code (entry_file) is never run here: inspecting must not execute it.
 */
async function checkModel(bundle: Bundle): Promise<{ parameters: number; placeholder: boolean } | { problems: Problem[] } | null> {
  if (bundle.config.entry_module === undefined) return null
  const tfc = await import('@tensorflow/tfjs-core')
  await import('@tensorflow/tfjs-backend-cpu')
  // PROD silences tfjs's "use tfjs-node" console hint, which would read as an error here.
  tfc.env().set('PROD', true)
  await tfc.setBackend('cpu')
  const { buildModel } = await import('../../shared/model')
  try {
    // A bundle without id2label gets its head from the dataset; two placeholder classes stand in here.
    const placeholder = labelsOf(bundle.config) === null
    const { model } = await buildModel(bundle, placeholder ? { labels: ['class 0', 'class 1'] } : {})
    const parameters = model.countParams()
    model.dispose()
    return { parameters, placeholder }
  } catch (err) {
    if (err instanceof ProblemError) return { problems: err.problems }
    throw err
  }
}

function sizeText(size: unknown): string {
  if (typeof size === 'number') return `${size}×${size}`
  const s = size as Record<string, number>
  return 'shortest_edge' in s ? `shortest edge ${s.shortest_edge}` : `${s.height}×${s.width}`
}

/** One line per preprocessing step, in the order they are applied. */
function preprocessingSummary(bundle: Bundle): string {
  const p = bundle.preprocessor
  const steps: string[] = []
  if (p.do_resize) steps.push(`resize to ${sizeText(p.size)} (${RESAMPLE[p.resample] ?? p.resample})`)
  if (p.do_center_crop) steps.push(`center crop ${sizeText(p.crop_size)}${p.crop_pct !== null ? ` (crop_pct ${p.crop_pct})` : ''}`)
  steps.push('scale to [0, 1]')
  if (p.do_normalize) steps.push(`normalize mean [${p.image_mean.join(', ')}] std [${p.image_std.join(', ')}]`)
  const aug: string[] = []
  if (p.do_affine) aug.push(`affine ±${p.degrees}° translate [${p.translate.join(', ')}]`)
  if (p.do_horizontal_flip) aug.push('horizontal flip')
  return `${steps.join(', ')}; training augmentation: ${aug.length > 0 ? aug.join(', ') : 'none'}`
}

const n = (x: number) => x.toLocaleString('en-US')

/** `autofed inspect bundle <dir|zip> [--json]`: a summary of a valid bundle, or every problem, one per line. */
export const inspectBundle: Command = {
  usage: USAGE,
  async run(args) {
    const json = args.includes('--json')
    const paths = args.filter((a) => a !== '--json')
    if (paths.length !== 1 || paths[0].startsWith('-')) {
      console.error(`usage: ${USAGE}`)
      return 2
    }
    const fail = (problems: Problem[]) => {
      if (json) console.log(JSON.stringify({ ok: false, problems }, null, 2))
      else for (const p of problems) console.error(formatProblem(p))
      return 1
    }

    const source = await openSource(paths[0])
    if (Array.isArray(source)) return fail(source)
    const loaded = await loadBundle(source)
    if (!loaded.ok) return fail(loaded.problems)
    const bundle = loaded.value
    // The aggregator's check (every problem at once: training options, architecture, weights), so that a
    // bundle inspect calls valid is one a task accepts and participants can train.
    const untrainable = trainableProblems(bundle)
    if (untrainable.length > 0) return fail(untrainable)
    const checked = await checkModel(bundle)
    if (checked && 'problems' in checked) return fail(checked.problems)

    const { card, config } = bundle
    const labels = labelsOf(config)
    const parameters = countParameters(bundle.weights)
    const entry = config.entry_module !== undefined
      ? { module: config.entry_module, class: config.entry_class }
      : { file: config.entry_file, class: config.entry_class }
    const warnings = loaded.warnings ?? []
    if (json) {
      console.log(JSON.stringify({
        ok: true,
        name: card.name,
        displayName: card.displayName,
        tasks: card.tasks,
        license: card.license,
        author: card.author,
        framework: card.framework ?? null,
        entry,
        labels,
        paramFile: config.param_file,
        tensors: bundle.weights.map((t) => ({ name: t.name, shape: t.shape, parameters: countParameters([t]) })),
        parameters,
        modelParameters: checked ? checked.parameters : null,
        preprocessing: preprocessingSummary(bundle),
        warnings,
      }, null, 2))
      return 0
    }

    const rows: Array<[string, string]> = [
      ['name', card.name],
      ['display name', card.displayName],
      ['tasks', card.tasks.join(', ')],
      ['license', card.license],
      ['author', card.author],
      ['entry', 'module' in entry
        ? `${entry.module} / ${entry.class} (built-in)`
        : `${entry.file} / ${entry.class} (bundle code; runs only after the user trusts it)`],
      ['labels', labels ? `${labels.length}: ${labels.join(', ')}` : 'none (taken from the dataset)'],
      ['weights', `${config.param_file}: ${bundle.weights.length} tensors, ${n(parameters)} parameters`],
      ['model', checked
        ? `built on CPU, weights fit (${n(checked.parameters)} parameters${checked.placeholder ? ' with a 2-class head; the head is sized by the dataset' : ''})`
        : 'not built (bundle code is not run by inspect)'],
      ['preprocessing', preprocessingSummary(bundle)],
    ]
    const width = Math.max(...rows.map(([k]) => k.length)) + 2
    console.log(`bundle ${paths[0]}`)
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}${v}`)
    const nameWidth = Math.max(...bundle.weights.map((t) => t.name.length)) + 2
    console.log('  tensors')
    for (const t of bundle.weights) {
      console.log(`    ${t.name.padEnd(nameWidth)}${`[${t.shape.join(', ')}]`.padEnd(18)}${n(countParameters([t])).padStart(11)}`)
    }
    for (const w of warnings) console.log(`  note: ${formatProblem(w)}`)
    return 0
  },
}

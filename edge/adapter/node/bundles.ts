import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { countParameters, labelsOf, loadBundle, zipBundle, type Bundle } from '../../../shared/bundle'
import { formatProblem } from '../../../shared/problems'
import type { BundleInfo } from '../../../shared/wire'
import type { BuiltinBundles } from '../../app'
import { directorySource } from './files'

/**
 * Loads every bundle folder under `dir` once at start (bundles/<id>/). A folder that does not validate
 * is left out with its problems printed, so one broken bundle does not stop the aggregator.
 */
export async function loadBuiltinBundles(dir: string, warn: (line: string) => void = console.warn): Promise<BuiltinBundles> {
  const found = new Map<string, { bundle: Bundle; zip: Uint8Array; info: BundleInfo }>()
  const entries = existsSync(dir) ? await readdir(dir, { withFileTypes: true }) : []
  // Sorted: readdir's order depends on the file system, and the list is shown in this order.
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory()) continue
    const r = await loadBundle(await directorySource(join(dir, e.name)))
    if (!r.ok) {
      warn(`bundles/${e.name} skipped:\n  ${r.problems.map(formatProblem).join('\n  ')}`)
      continue
    }
    const b = r.value
    const info: BundleInfo = {
      id: e.name,
      name: b.card.name,
      displayName: b.card.displayName,
      description: b.card.description,
      labels: labelsOf(b.config) ?? [],
      parameters: countParameters(b.weights),
      ...(typeof b.config.learning_rate === 'number' ? { learningRate: b.config.learning_rate } : {}),
    }
    found.set(e.name, { bundle: b, zip: zipBundle(b.files), info })
  }
  return {
    list: async () => [...found.values()].map((f) => f.info),
    get: async (id) => found.get(id) ?? null,
  }
}

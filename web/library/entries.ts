import { hostingProblems, labelsOf, parseBundle } from '../../shared/bundle'
import type { Bundle } from '../../shared/bundle'
import type { Problem } from '../../shared/problems'
import type { LibraryEntry, ModelSource } from '../store'

/** A model the library can take: a validated bundle and where it came from. */
export type Incoming = { files: Map<string, Uint8Array>; source: ModelSource; origin?: string; name?: string; taskId?: string; taskName?: string; version?: number; accuracy?: number | null }

/** Why a bundle cannot be kept for predict and evaluate: its own problems, or bundle code autofed will not run. */
export function libraryProblems(files: Map<string, Uint8Array>): { bundle: Bundle | null; problems: Problem[] } {
  const parsed = parseBundle(files)
  if (!parsed.ok) return { bundle: null, problems: parsed.problems }
  const refused = hostingProblems(parsed.value.config)
  if (refused.length > 0) return { bundle: null, problems: refused }
  if (!labelsOf(parsed.value.config)?.length) return { bundle: null, problems: [{ file: 'config.json', field: 'id2label', message: 'is missing; predict needs the class names in output order' }] }
  return { bundle: parsed.value, problems: [] }
}

/** The library entry for an incoming bundle (pure: the id is given). */
export function entryFor(id: string, bundle: Bundle, incoming: Omit<Incoming, 'files'>, now: number): LibraryEntry {
  return {
    id,
    name: incoming.name ?? bundle.card.displayName,
    source: incoming.source,
    taskId: incoming.taskId,
    taskName: incoming.taskName,
    version: incoming.version,
    origin: incoming.origin,
    accuracy: incoming.accuracy ?? metricsAccuracy(bundle.files),
    labels: labelsOf(bundle.config) ?? [],
    savedAt: now,
  }
}

/** The test accuracy a result bundle's metrics.json records, if any (result bundles from autofed carry it). */
export function metricsAccuracy(files: Map<string, Uint8Array>): number | null {
  const bytes = files.get('metrics.json')
  if (!bytes) return null
  try {
    const m = JSON.parse(new TextDecoder().decode(bytes)) as { result?: { accuracy?: unknown } | null; accuracy?: unknown }
    const a = m?.result?.accuracy ?? m?.accuracy
    return typeof a === 'number' && Number.isFinite(a) ? a : null
  } catch {
    return null
  }
}

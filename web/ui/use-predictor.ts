import { useEffect } from 'hono/jsx/dom'
import { useLiveState } from './live-state'
import { ProblemError } from '../../shared/problems'
import type { Problem } from '../../shared/problems'
import type { BackendInfo } from '../backend'
import type { Predictor } from '../predict'
import { loadLibraryFiles } from '../store'
import type { LibraryEntry } from '../store'
import { messageOf } from './components'

/** A library model rebuilt for this tab, and the tfjs backend it runs on. */
export type Loaded = { entry: LibraryEntry; predictor: Predictor; backend: string }

let backend: Promise<BackendInfo> | null = null

/**
 * The tfjs backend of this tab, started once: starting it again while a model lives on it made webgpu
 * "fail to initialise" and switched tfjs to webgl under the model's tensors (runWebGLProgram is not a function).
 */
function tabBackend(): Promise<BackendInfo> {
  backend ??= import('../backend').then((b) => b.startBackend())
  backend.catch(() => (backend = null))
  return backend
}

/** The chosen library model as usePredictor rebuilds it: loaded, loading, or why it could not be. */
export type PredictorState = { loaded: Loaded | null; loading: boolean; problems: Problem[]; error: string | null }

/** Rebuilds the chosen library model whenever the choice changes; disposes the one before. */
export function usePredictor(entry: LibraryEntry | undefined): PredictorState {
  const [loaded, setLoaded] = useLiveState<Loaded | null>(null)
  const [loading, setLoading] = useLiveState(false)
  const [problems, setProblems] = useLiveState<Problem[]>([])
  const [error, setError] = useLiveState<string | null>(null)
  useEffect(() => {
    setLoaded(null)
    setProblems([])
    setError(null)
    if (!entry) return
    let alive = true
    let predictor: Predictor | null = null
    setLoading(true)
    ;(async () => {
      const files = await loadLibraryFiles(entry.id)
      if (!files) throw new Error(entry.name)
      const [{ loadPredictor }, info] = await Promise.all([import('../predict'), tabBackend()])
      const made = await loadPredictor(files)
      predictor = made
      if (alive) setLoaded({ entry, predictor: made, backend: info.backend })
      else made.dispose()
    })()
      .catch((err) => {
        if (!alive) return
        if (err instanceof ProblemError) setProblems(err.problems)
        else setError(messageOf(err))
      })
      .finally(() => alive && setLoading(false))
    return () => {
      alive = false
      predictor?.dispose()
    }
  }, [entry?.id])
  // A rename changes the entry but not the model: the loaded model carries the entry as it is now.
  const current = loaded && entry && loaded.entry.id === entry.id && loaded.entry !== entry ? { ...loaded, entry } : loaded
  return { loaded: current, loading, problems, error }
}


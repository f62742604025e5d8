import { useEffect } from 'hono/jsx/dom'
import { useLiveState } from './live-state'
import { ProblemError } from '../../shared/problems'
import type { Problem } from '../../shared/problems'
import type { PredictionBackend } from '../backend'
import type { Predictor } from '../predict'
import { loadLibraryFiles } from '../store'
import type { LibraryEntry } from '../store'
import { messageOf } from './components'
import { useT } from './i18n'

/** A library model rebuilt for this tab, and the tfjs backend it runs on (and why that one). */
export type Loaded = { entry: LibraryEntry; predictor: Predictor; backend: string; backendSource: PredictionBackend['source'] }

/** The chosen library model as usePredictor rebuilds it: loaded, loading, or why it could not be. */
export type PredictorState = { loaded: Loaded | null; loading: boolean; problems: Problem[]; error: string | null }

/** Rebuilds the chosen library model whenever the choice changes; disposes the one before. */
export function usePredictor(entry: LibraryEntry | undefined): PredictorState {
  const t = useT()
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
      const { loadPredictor, startPredictionBackend } = await import('../predict')
      // The backend the training measurement chose for this model on this device: the first one that starts
      // (webgpu) classified one 12-megapixel photo in over 430 s on a software adapter, wasm in seconds.
      const info = await startPredictionBackend(files)
      const made = await loadPredictor(files)
      predictor = made
      if (alive) setLoaded({ entry, predictor: made, backend: info.backend, backendSource: info.source })
      else made.dispose()
    })()
      .catch((err) => {
        if (!alive) return
        if (err instanceof ProblemError) setProblems(err.problems)
        else setError(messageOf(err, t))
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


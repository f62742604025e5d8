import { useEffect, useState } from 'hono/jsx/dom'
import { ProblemError } from '../../shared/problems'
import type { Problem } from '../../shared/problems'
import type { Predictor } from '../predict'
import { loadLibraryFiles } from '../store'
import type { LibraryEntry } from '../store'
import { messageOf } from './components'

/** A library model rebuilt for this tab, and the tfjs backend it runs on. */
export type Loaded = { entry: LibraryEntry; predictor: Predictor; backend: string }

/** Rebuilds the chosen library model whenever the choice changes; disposes the one before. */
export function usePredictor(entry: LibraryEntry | undefined): { loaded: Loaded | null; loading: boolean; problems: Problem[]; error: string | null } {
  const [loaded, setLoaded] = useState<Loaded | null>(null)
  const [loading, setLoading] = useState(false)
  const [problems, setProblems] = useState<Problem[]>([])
  const [error, setError] = useState<string | null>(null)
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
      const [{ loadPredictor }, { startBackend }] = await Promise.all([import('../predict'), import('../backend')])
      const info = await startBackend()
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
  return { loaded, loading, problems, error }
}


import { useEffect, useRef, useState } from 'hono/jsx/dom'
import { ProblemError } from '../../../shared/problems'
import type { Problem } from '../../../shared/problems'
import type { Predictor, Prediction } from '../../predict'
import { loadPredictModel } from '../../store'
import type { PredictModel } from '../../store'
import { ErrorBox, Problems, messageOf, percent } from '../components'
import { useT } from '../i18n'

type Loaded = { stored: PredictModel; predictor: Predictor; backend: string }

/** Drop or pick an image → top classes from the best model kept in IndexedDB (works offline). */
export function PredictPage() {
  const t = useT()
  const [loaded, setLoaded] = useState<Loaded | null | undefined>(undefined)
  const [problems, setProblems] = useState<Problem[]>([])
  const [error, setError] = useState<string | null>(null)
  const [over, setOver] = useState(false)
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ name: string; url: string; top: Prediction[] } | null>(null)
  const fileInput = useRef<HTMLInputElement>(null)

  useEffect(() => {
    let alive = true
    let predictor: Predictor | null = null
    ;(async () => {
      const stored = await loadPredictModel()
      if (!stored) return setLoaded(null)
      const [{ loadPredictor }, { startBackend }] = await Promise.all([import('../../predict'), import('../../backend')])
      const info = await startBackend()
      predictor = await loadPredictor(stored)
      if (alive) setLoaded({ stored, predictor, backend: info.backend })
      else predictor.dispose()
    })().catch((err) => {
      if (err instanceof ProblemError) setProblems(err.problems)
      else setError(messageOf(err))
      setLoaded(null)
    })
    return () => {
      alive = false
      predictor?.dispose()
    }
  }, [])

  const classify = async (file: File) => {
    if (!loaded) return
    setBusy(true)
    setError(null)
    try {
      const top = await loaded.predictor.classify(new Uint8Array(await file.arrayBuffer()), file.name, 5)
      if (result) URL.revokeObjectURL(result.url)
      setResult({ name: file.name, url: URL.createObjectURL(file), top })
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setBusy(false)
    }
  }
  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setOver(false)
    const file = e.dataTransfer?.files[0]
    if (file) void classify(file)
  }
  const onPick = (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0]
    if (file) void classify(file)
  }

  return (
    <section>
      <h1>{t('predict.title')}</h1>
      <Problems problems={problems} />
      <ErrorBox message={error} />
      {loaded === undefined ? (
        <p class="muted">{t('common.loading')}</p>
      ) : loaded === null ? (
        problems.length === 0 && !error ? <p class="notice">{t('predict.nomodel')}</p> : null
      ) : (
        <>
          <p class="muted" data-testid="predict-model">
            {t('predict.model', { name: loaded.stored.taskName, version: loaded.stored.version, accuracy: percent(loaded.stored.accuracy) })} ·{' '}
            {loaded.backend}
          </p>
          <div
            class={over ? 'drop over' : 'drop'}
            data-testid="drop-zone"
            onDragOver={(e: DragEvent) => {
              e.preventDefault()
              setOver(true)
            }}
            onDragLeave={() => setOver(false)}
            onDrop={onDrop}
          >
            <p>
              {t('predict.drop')}{' '}
              <button type="button" onClick={() => fileInput.current?.click()}>
                {t('predict.pick')}
              </button>
            </p>
            <input ref={fileInput} type="file" accept="image/*" hidden onChange={onPick} data-testid="predict-input" />
          </div>
          {busy ? <p class="muted">{t('predict.running')}</p> : null}
          {result ? (
            <div class="card" data-testid="predict-result">
              <h2>{t('predict.result', { name: result.name })}</h2>
              <div class="row">
                <img class="preview" src={result.url} alt={result.name} />
                <table style="flex:1">
                  <tbody>
                    {result.top.map((p, i) => (
                      <tr data-testid={i === 0 ? 'predict-top' : undefined} data-label={p.label}>
                        <td>{p.label}</td>
                        <td style="width:50%">
                          <div class="bar" style={`width:${Math.max(1, p.probability * 100)}%`} />
                        </td>
                        <td class="num">{percent(p.probability)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          ) : null}
        </>
      )}
    </section>
  )
}

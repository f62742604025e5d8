import { useEffect, useRef } from 'hono/jsx/dom'
import { useLiveState } from './live-state'
import uPlot from 'uplot'
import type { Bundle } from '../../shared/bundle'
import { CONFIG_FILE } from '../../shared/bundle'
import type { LrFindPoint, Suggestions } from '../../shared/lr-find'
import type { Problem } from '../../shared/problems'
import { ProblemError } from '../../shared/problems'
import type { BrowserLrFind } from '../lr-find'
import { ErrorBox, Problems, messageOf } from './components'
import { FolderPicker } from './folder-picker'
import type { PickedFolder } from './folder-picker'
import { useT } from './i18n'
import type { StringKey } from './i18n'

/** A learning rate as the finder shows it and puts into the task: 3 significant digits (fastai prints 2). */
export function roundLearningRate(lr: number): number {
  return Number(lr.toPrecision(3))
}

/**
 * The bundle with `learning_rate` set in its config.json: a task's learning rate lives there, and every
 * participant's trainer reads it. Null keeps the bundle as it is.
 */
export function withLearningRate(bundle: Bundle, learningRate: number | null): Bundle {
  if (learningRate === null || bundle.config.learning_rate === learningRate) return bundle
  const config = { ...bundle.config, learning_rate: learningRate }
  const files = new Map(bundle.files)
  files.set(CONFIG_FILE, new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n'))
  return { ...bundle, config, files }
}

const fmt = (lr: number) => lr.toExponential(2)

/**
 * Loss against learning rate on a log x axis (uPlot distr 3), the smoothed loss drawn as fastai plots it,
 * with the suggestions marked as points.
 */
function LrChart(props: { points: LrFindPoint[]; suggestions: Suggestions | null; xLabel: string; yLabel: string }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  useEffect(() => {
    const el = box.current
    if (!el || props.points.length === 0) return
    // One plot at a time: the previous one goes before its replacement is drawn (the curve grows live).
    plot.current?.destroy()
    const xs = props.points.map((p) => p.lr)
    const mark = (at: { lr: number } | undefined) => xs.map((x, i) => (at && x === at.lr ? props.points[i].smoothed : null))
    const s = props.suggestions
    plot.current = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 240,
        scales: { x: { time: false, distr: 3 } },
        axes: [{ label: props.xLabel, values: (_u, splits) => splits.map((v) => (v == null ? '' : v.toExponential(0))) }, { label: props.yLabel }],
        series: [
          { label: props.xLabel, value: (_u, v) => (v == null ? '--' : fmt(v)) },
          { label: props.yLabel, stroke: '#2458c6', width: 2, points: { show: false } },
          { label: 'valley', stroke: '#b42318', width: 0, points: { show: true, size: 12, fill: '#b42318' } },
          { label: 'minimum', stroke: '#c77700', width: 0, points: { show: true, size: 8, fill: '#c77700' } },
          { label: 'steep', stroke: '#1f7a3d', width: 0, points: { show: true, size: 8, fill: '#1f7a3d' } },
        ],
      },
      [xs, props.points.map((p) => (Number.isFinite(p.smoothed) ? p.smoothed : null)), mark(s?.valley.at), mark(s?.minimum.at), mark(s?.steep.at)] as uPlot.AlignedData,
      el,
    )
    // Redrawn on a language switch too: the axis and legend labels are the page's language.
  }, [props.points.length, JSON.stringify(props.suggestions), props.xLabel, props.yLabel])
  useEffect(
    () => () => {
      plot.current?.destroy()
      plot.current = null
    },
    [],
  )
  return <div class="chart" ref={box} data-testid="lr-chart" />
}

/**
 * fastai's lr_find on a sample folder, on the create page: pick a folder (read here, nothing uploaded),
 * watch the loss against the learning rate, take the suggestion into the task with one click.
 */
export function LrFinder(props: { bundle: () => Promise<Bundle>; labels: readonly string[]; onUse: (lr: number) => void; used: number | null }) {
  const t = useT()
  const [folder, setFolder] = useLiveState<PickedFolder | null>(null)
  const [stage, setStage] = useLiveState<'idle' | 'preparing' | 'running' | 'done'>('idle')
  const [points, setPoints] = useLiveState<LrFindPoint[]>([])
  const [result, setResult] = useLiveState<BrowserLrFind | null>(null)
  const [problems, setProblems] = useLiveState<Problem[]>([])
  const [error, setError] = useLiveState<string | null>(null)
  const stop = useRef<{ aborted: boolean }>({ aborted: false })

  const run = async (picked: PickedFolder) => {
    setFolder(picked)
    setStage('preparing')
    setPoints([])
    setResult(null)
    setProblems([])
    setError(null)
    const signal = { aborted: false }
    stop.current = signal
    try {
      const [{ findLearningRate }, bundle] = await Promise.all([import('../lr-find'), props.bundle()])
      const live: LrFindPoint[] = []
      const r = await findLearningRate({
        bundle,
        labels: props.labels,
        source: picked.source,
        folder: picked.name,
        signal,
        onPoint: (p) => {
          live.push(p)
          setStage('running')
          setPoints(live.slice())
        },
      })
      setPoints(r.points)
      setResult(r)
      setStage('done')
    } catch (err) {
      if (err instanceof ProblemError) setProblems(err.problems)
      else setError(messageOf(err, t))
      setStage('idle')
    }
  }

  const last = points[points.length - 1]
  const s = result?.suggestions ?? null
  const suggested = s ? roundLearningRate(s.valley.lr) : null
  return (
    <div data-testid="lr-finder">
      <p class="muted">{t('lrfind.intro')}</p>
      <FolderPicker label={t('lrfind.pick')} testId="lr-folder" onError={setError} onPicked={(f) => void run(f)} />
      <Problems problems={problems} testId="lr-problems" />
      <ErrorBox message={error} />
      {stage === 'preparing' && folder ? <p class="muted">{t('lrfind.preparing', { name: folder.name })}</p> : null}
      {stage === 'running' && last ? (
        <p class="row muted" data-testid="lr-progress">
          {t('lrfind.running', { i: points.length, lr: fmt(last.lr), loss: last.smoothed.toFixed(3) })}{' '}
          <button type="button" onClick={() => void (stop.current.aborted = true)}>
            {t('lrfind.stop')}
          </button>
        </p>
      ) : null}
      {points.length > 0 ? <LrChart points={points} suggestions={s} xLabel={t('lrfind.axisLr')} yLabel={t('lrfind.axisLoss')} /> : null}
      {result ? (
        <>
          <p class="muted" data-testid="lr-stopped">
            {t(`lrfind.stopped.${result.stopped}` as StringKey, { n: result.points.length, images: result.images, backend: result.backend, batch: result.batchSize })}
          </p>
          {s && suggested !== null ? (
            <div class="card">
              <p data-testid="lr-suggestion" data-lr={suggested}>
                <strong>{t('lrfind.suggestion', { lr: String(suggested) })}</strong>
              </p>
              <p class="muted">{t('lrfind.others', { minimum: fmt(s.minimum.lr), steep: fmt(s.steep.lr), configured: String(result.configured) })}</p>
              <p class="row">
                <button type="button" class="primary" onClick={() => props.onUse(suggested)} data-testid="lr-use">
                  {t('lrfind.use')}
                </button>
                {props.used === suggested ? <span class="ok" data-testid="lr-used">{t('lrfind.used', { lr: String(suggested) })}</span> : null}
              </p>
            </div>
          ) : (
            <p class="notice" data-testid="lr-none">
              {t('lrfind.none')}
            </p>
          )}
        </>
      ) : null}
    </div>
  )
}

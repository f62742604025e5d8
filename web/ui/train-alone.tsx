import { useEffect } from 'hono/jsx/dom'
import { useLiveState } from './live-state'
import type { Problem } from '../../shared/problems'
import { ProblemError } from '../../shared/problems'
import type { TaskView } from '../../shared/wire'
import type { AloneComparison, AloneProgress, AloneRun } from '../alone'
import { ErrorBox, Problems, Stat, messageOf, percent } from './components'
import { useDateTime, useT } from './i18n'
import { loadMembership } from '../store'
import { taskFolder } from './task-folder'

// The alone module pulls in tfjs and the trainer: loaded when used, as the session is.
const alone = () => import('../alone')

/** The comparison kept for a task in this browser (null: none yet), reloaded when `key` changes. */
function useComparison(taskId: string, key: unknown = 0): AloneComparison | null | undefined {
  const [c, setC] = useLiveState<AloneComparison | null | undefined>(undefined)
  useEffect(() => {
    alone().then((m) => m.loadComparison(taskId)).then(setC, () => setC(null))
  }, [taskId, key])
  return c
}

/** Trained alone vs federated on the participant's own test split: the two accuracies side by side and the gain. */
export function AloneComparisonView(props: { comparison: AloneComparison }) {
  const t = useT()
  const dateTime = useDateTime()
  const c = props.comparison
  const gain = 100 * (c.federated.accuracy - c.local.accuracy)
  const sign = gain > 0 ? '+' : gain < 0 ? '−' : '±'
  return (
    <div data-testid="alone-comparison">
      <div class="stats">
        <Stat k={t('alone.local')} v={`${percent(c.local.accuracy)} (${c.local.correct}/${c.local.examples})`} testId="alone-local" value={c.local.accuracy} />
        <Stat k={t('alone.federated', { version: c.federated.version })} v={`${percent(c.federated.accuracy)} (${c.federated.correct}/${c.federated.examples})`} testId="alone-federated" value={c.federated.accuracy} />
        <Stat k={t('alone.gain')} v={t('alone.points', { value: `${sign}${Math.abs(gain).toFixed(1)}` })} testId="alone-gain" value={gain} />
      </div>
      <p class="muted" style="margin-top:8px">
        {t('alone.detail', { examples: c.local.examples, folder: c.folder, epochs: c.epochs, best: c.bestEpoch, backend: c.backend, date: dateTime(c.trainedAt) })}
      </p>
    </div>
  )
}

/** The results page's section: the comparison if this browser trained alone, else where to do it. */
export function AloneResults(props: { taskId: string }) {
  const t = useT()
  const c = useComparison(props.taskId)
  const [member, setMember] = useLiveState(false)
  useEffect(() => {
    loadMembership(props.taskId).then((m) => setMember(!!m), () => setMember(false))
  }, [props.taskId])
  // Only a participant of this browser has a folder to train alone on.
  if (c === undefined || (!c && !member)) return null
  return (
    <>
      <h2>{t('alone.compare')}</h2>
      {c ? (
        <AloneComparisonView comparison={c} />
      ) : (
        <p class="muted" data-testid="alone-none">
          {t('alone.none')}{' '}
          <a href={`/tasks/${encodeURIComponent(props.taskId)}`}>{t('alone.dashboard')}</a>
        </p>
      )}
    </>
  )
}

function progressText(t: ReturnType<typeof useT>, p: AloneProgress): string {
  if (p.stage === 'preparing') return t('alone.preparing', { detail: p.detail })
  if (p.stage === 'training') return t('alone.training', { epoch: p.epoch, epochs: p.epochs, step: p.step, steps: p.steps, loss: p.loss.toFixed(3), accuracy: percent(p.accuracy) })
  return t(p.which === 'local' ? 'alone.evaluating.local' : 'alone.evaluating.federated', { done: p.done, total: p.total })
}

/**
 * The dashboard's "Train alone on my folder": local only, nothing uploaded. Offered once the task has
 * ended (done, or stopped with a best model) and this tab's participant is not working: a tab has one
 * tfjs engine and one device, and training alone during the federation would slow this participant's
 * rounds toward calculation_timeout; after the end, the federated model to compare with exists.
 */
export function TrainAlone(props: { taskId: string; token: string | null; task: TaskView | null; folder: string; sessionBusy: boolean }) {
  const t = useT()
  const [running, setRunning] = useLiveState(false)
  const [progress, setProgress] = useLiveState<AloneProgress | null>(null)
  const [error, setError] = useLiveState<string | null>(null)
  const [problems, setProblems] = useLiveState<Problem[]>([])
  const [runs, setRuns] = useLiveState(0)
  const comparison = useComparison(props.taskId, runs)
  const ended = !!props.task && (props.task.state === 'done' || props.task.state === 'stopped') && props.task.best !== null

  // Follows a run of this tab: one just started, or one started before the user left the dashboard.
  const follow = async (run: AloneRun) => {
    setRunning(true)
    const unsubscribe = run.subscribe(setProgress)
    try {
      await run.done
      setRuns((n) => n + 1)
    } catch (err) {
      if (err instanceof ProblemError) setProblems(err.problems)
      else if (!(err instanceof Error && err.name === 'Stopped')) setError(messageOf(err, t))
    } finally {
      unsubscribe()
      setRunning(false)
      setProgress(null)
    }
  }
  useEffect(() => {
    alone().then((m) => {
      const run = m.currentAloneRun(props.taskId)
      if (run) void follow(run)
    }, (err) => setError(messageOf(err, t)))
  }, [props.taskId])

  const start = async () => {
    if (!props.token) return
    setError(null)
    setProblems([])
    try {
      // A click is a user gesture: the browser may ask for the folder's permission again here.
      const found = await taskFolder(props.taskId, true)
      if (!('source' in found)) throw new Error(t('folder.dialogLost', { name: props.folder }))
      const m = await alone()
      await follow(m.startAloneRun({ taskId: props.taskId, token: props.token, source: found.source, folder: props.folder }))
    } catch (err) {
      if (err instanceof ProblemError) setProblems(err.problems)
      else setError(messageOf(err, t))
    }
  }
  const stop = () => {
    void alone().then((m) => m.currentAloneRun(props.taskId)?.stop())
  }

  const status = running ? 'running' : error || problems.length > 0 ? 'error' : comparison ? 'done' : 'idle'
  return (
    <div class="card" style="margin-top:16px" data-testid="train-alone-card" data-status={status}>
      <h3>{t('alone.title')}</h3>
      <p class="muted">{t('alone.intro')}</p>
      {!ended ? (
        <p class="muted">{t('alone.when')}</p>
      ) : (
        <p class="row">
          <button type="button" class="primary" disabled={running || props.sessionBusy || !props.token} onClick={() => void start()} data-testid="train-alone">
            {comparison ? t('alone.again') : t('alone.start')}
          </button>
          {running ? (
            <button type="button" onClick={stop} data-testid="train-alone-stop">
              {t('alone.stop')}
            </button>
          ) : null}
          {props.sessionBusy ? <span class="muted">{t('alone.busy')}</span> : null}
        </p>
      )}
      {running && progress ? (
        <p class="muted" data-testid="alone-progress" data-stage={progress.stage} data-step={progress.stage === 'training' ? `${progress.epoch}:${progress.step}` : progress.stage === 'evaluating' ? `${progress.which}:${progress.done}` : progress.detail}>
          {progressText(t, progress)}
        </p>
      ) : null}
      <Problems problems={problems} testId="alone-problems" />
      <ErrorBox message={error} />
      {comparison && !running ? (
        <>
          <AloneComparisonView comparison={comparison} />
          <p>
            <a class="button" href={`/tasks/${encodeURIComponent(props.taskId)}/results`} data-testid="alone-results-link">
              {t('alone.results')}
            </a>
          </p>
        </>
      ) : null}
    </div>
  )
}

import { useEffect } from 'hono/jsx/dom'
import { useLiveState } from '../live-state'
import type { TaskView } from '../../../shared/wire'
import { api } from '../../api'
import { idbCheckpoints } from '../../federation/session'
import { ClassMetrics } from '../class-metrics'
import { ErrorBox, Stat, messageOf, percent } from '../components'
import { useT } from '../i18n'
import { fragmentParam } from '../router'
import { ModelDescription, descriptionOfZip } from '../markdown'
import { AloneResults } from '../train-alone'
import { downloadHistoryCsv } from '../round-history'
import { PrivacyNote, PrivacyRounds, SecureAggregationNote } from '../privacy'
import { downloadFile } from '../download'
import { downloadName } from '../download-name'

/** Test metrics, per-class precision/recall, confusion matrix, and the result bundle download. */
export function ResultsPage(props: { taskId: string }) {
  const t = useT()
  const [token, setToken] = useLiveState<string | null>(fragmentParam('token'))
  const [task, setTask] = useLiveState<TaskView | null>(null)
  const [error, setError] = useLiveState<string | null>(null)
  const [description, setDescription] = useLiveState<string | null>(null)
  useEffect(() => {
    ;(async () => {
      let auth = token
      if (!auth) auth = (await idbCheckpoints.load(props.taskId))?.token ?? null
      if (!auth) throw new Error(t('task.notmember'))
      setToken(auth)
      setTask(await api(auth).task(props.taskId))
      // The Model Card's description, from the task bundle; one that cannot be read is left out.
      api(auth).taskBundle(props.taskId).then((zip) => setDescription(descriptionOfZip(zip)), () => {})
    })().catch((err) => setError(messageOf(err, t)))
  }, [props.taskId])

  const download = async () => {
    if (!token) return
    try {
      downloadFile(downloadName(task?.name || props.taskId, '-result.zip'), await api(token).resultBundle(props.taskId), 'application/zip')
    } catch (err) {
      setError(messageOf(err, t))
    }
  }

  const r = task?.result ?? null
  return (
    <section>
      <h1>{t('results.title', { name: task?.name ?? props.taskId })}</h1>
      <ErrorBox message={error} />
      <ModelDescription text={description} />
      {task ? <PrivacyNote task={task} /> : null}
      {task ? <SecureAggregationNote task={task} /> : null}
      {!task ? (
        error ? null : <p class="muted">{t('common.loading')}</p>
      ) : !r && task.state === 'done' && task.best ? (
        // Done without a test: nobody had test images (edge/API.md); the best model is still there to download.
        <>
          <p class="notice" data-testid="no-test-result">
            {t('results.notest', { version: task.best.version })}
          </p>
          <p class="row" style="margin-top:12px">
            <button type="button" class="primary" onClick={download} data-testid="download-result">
              {t('results.download')}
            </button>
            <button type="button" onClick={() => downloadHistoryCsv(task)} data-testid="download-history">
              {t('chart.csv')}
            </button>
          </p>
          <PrivacyRounds task={task} />
        </>
      ) : !r ? (
        <p class="notice">{t('results.notyet')}</p>
      ) : (
        <>
          <div class="stats">
            <Stat k={t('results.accuracy')} v={percent(r.accuracy)} testId="test-accuracy" value={r.accuracy} />
            <Stat k={t('results.loss')} v={r.loss.toFixed(4)} />
            <Stat k={t('results.examples')} v={r.examples} />
            {task.initial?.test ? <Stat k={t('results.before')} v={percent(task.initial.test.accuracy)} testId="test-accuracy-before" value={task.initial.test.accuracy} /> : null}
          </div>
          <p class="muted" data-testid="tested-version" data-version={r.version}>
            {task.best?.version === r.version && task.best.accuracy === null
              ? t('results.testedLatest', { version: r.version })
              : t('results.tested', { version: r.version, accuracy: task.best?.version === r.version && task.best.accuracy !== null ? percent(task.best.accuracy) : '—' })}
          </p>
          <p class="row" style="margin-top:12px">
            <button type="button" class="primary" onClick={download} data-testid="download-result">
              {t('results.download')}
            </button>
            <a class="button" href="/predict">
              {t('results.predict')}
            </a>
            <button type="button" onClick={() => downloadHistoryCsv(task)} data-testid="download-history">
              {t('chart.csv')}
            </button>
          </p>
          {task.privacy ? <PrivacyRounds task={task} /> : null}
          <AloneResults taskId={props.taskId} />
          <ClassMetrics classes={r.perClass} labels={task.labels} confusion={r.confusion} />
        </>
      )}
    </section>
  )
}

import { useEffect, useRef } from 'hono/jsx/dom'
import { useLiveState } from '../live-state'
import type { LogEvent, TaskView } from '../../../shared/wire'
import { ApiError, api, followTask, sessionApi } from '../../api'
import { TRAINING_BACKENDS, loadBackendOverride, saveBackendOverride } from '../../backend'
import { currentSession, idbCheckpoints, startSession } from '../../federation/session'
import type { SessionSnapshot } from '../../federation/session'
import { forgetTask, isStorageFull, loadCreatedTask, loadLocalRounds, loadMembership, mergeLocalRounds, saveLocalRounds } from '../../store'
import type { LocalRound, Membership } from '../../store'
import { CopyField, ErrorBox, Stat, messageOf, percent } from '../components'
import { BackendMeasurements } from '../backend-measurements'
import { RoundChart } from '../chart'
import { downloadHistoryCsv, roundRows } from '../round-history'
import { FolderPicker } from '../folder-picker'
import { SkippedFiles } from '../skipped-files'
import { useClockTime, useT } from '../i18n'
import type { StringKey, Translate } from '../i18n'
import { fragmentParam } from '../router'
import { setPendingFolder, taskFolder } from '../task-folder'
import { TrainAlone } from '../train-alone'
import { useSubscription } from '../use-subscription'
import { PrivacyNote, SecureAggregationNote } from '../privacy'
import { Participants } from '../participants'
import { LiveLog, withLogLine } from '../live-log'
import { SessionNotices } from '../session-notices'

/** The feature cache in short (the stat) and in full (the line under the stats): last epoch's counts, filling, or why training bypasses it. */
function featureText(f: NonNullable<SessionSnapshot['features']>, t: Translate): { short: string; detail: string } {
  if (f.trainingOff) return { short: t('features.evalOnlyShort'), detail: t('features.evalOnly') }
  if (!f.last) return { short: t('features.filling'), detail: t('features.empty') }
  const { hits, misses, cache } = f.last
  const detail = t('features.counts', { hits, misses, mib: (cache.bytes / 1048576).toFixed(1), max: Math.round(cache.maxBytes / 1048576), evicted: cache.evicted })
  return { short: t('features.hits', { hits, total: hits + misses }), detail }
}

/** The task dashboard: task state over SSE for everyone, and this browser's participant when it joined. */
export function TaskPage(props: { taskId: string }) {
  const t = useT()
  const clockTime = useClockTime()
  const initiator = fragmentParam('token')
  const [token, setToken] = useLiveState<string | null>(initiator)
  const [membership, setMembership] = useLiveState<Membership | null | undefined>(undefined)
  const [task, setTask] = useLiveState<TaskView | null>(null)
  const [logs, setLogs] = useLiveState<LogEvent[]>([])
  const [error, setError] = useLiveState<string | null>(null)
  const [snap, setSnap] = useLiveState<SessionSnapshot | null>(null)
  const [folderState, setFolderState] = useLiveState<'ok' | 'missing' | 'permission' | null>(null)
  const [permissionHandle, setPermissionHandle] = useLiveState<FileSystemDirectoryHandle | null>(null)
  const [override, setOverride] = useLiveState<string>('auto')
  const [switching, setSwitching] = useLiveState(false)
  const unsubscribe = useRef<(() => void) | null>(null)
  const [kept, setKept] = useLiveState<LocalRound[]>([])
  const [roundsNotKept, setRoundsNotKept] = useLiveState(false)
  const [leaving, setLeaving] = useLiveState(false)
  const [left, setLeft] = useLiveState(false)

  useEffect(() => {
    loadLocalRounds(props.taskId).then(setKept, (err) => setError(messageOf(err, t)))
  }, [props.taskId])

  // This browser's own chart points outlive a reload: the session starts empty after one.
  useEffect(() => {
    if (!snap || snap.local.length === 0) return
    const merged = mergeLocalRounds(kept, snap.local)
    if (JSON.stringify(merged) !== JSON.stringify(kept)) {
      setKept(merged)
      // Chart points are a convenience: a full storage is said beside the session's other unsaved things.
      saveLocalRounds(props.taskId, merged).then(
        () => setRoundsNotKept(false),
        (err) => (isStorageFull(err) ? setRoundsNotKept(true) : setError(messageOf(err, t))),
      )
    }
  }, [snap?.local])

  useEffect(() => {
    loadBackendOverride().then((b) => setOverride(b ?? 'auto'), (err) => setError(messageOf(err, t)))
  }, [])

  // The invite link, when this browser created the task: the aggregator keeps only its hash.
  const [inviteUrl, setInviteUrl] = useLiveState<string | null>(null)
  useEffect(() => {
    if (initiator) loadCreatedTask(props.taskId).then((c) => setInviteUrl(c?.inviteUrl ?? null), () => setInviteUrl(null))
  }, [props.taskId])

  // Who we are: the initiator (token in the fragment) or a participant (token in the checkpoint).
  useEffect(() => {
    ;(async () => {
      const m = (await loadMembership(props.taskId)) ?? null
      setMembership(m)
      if (!initiator) {
        const cp = await idbCheckpoints.load(props.taskId)
        if (cp) setToken(cp.token)
      }
    })().catch((err) => setError(messageOf(err, t)))
  }, [props.taskId])

  // Live task state and logs.
  useSubscription(token ? `${props.taskId}|${token}` : null, () => {
    const auth = token as string
    // Shown until the stream's first view arrives (it then replaces this one), and says why when the task cannot be read.
    api(auth).task(props.taskId).then((v) => setTask((prev) => prev ?? v), (err) => setError(messageOf(err, t)))
    return followTask(auth, props.taskId, {
      // Each connection starts with the task's recent logs: a reconnect replaces the list, never appends to it.
      connected: () => setLogs([]),
      state: setTask,
      log: (l) => setLogs((prev) => withLogLine(prev, l)),
    })
  })

  // This browser's participant.
  const launch = async (interactive: boolean) => {
    if (!membership) return
    const found = await taskFolder(props.taskId, interactive)
    if ('source' in found) {
      setFolderState('ok')
      const session = currentSession(props.taskId) ?? startSession({ membership, source: found.source, api: sessionApi(props.taskId), taskName: task?.name })
      unsubscribe.current?.()
      unsubscribe.current = session.subscribe(setSnap)
      return
    }
    if ('needsPermission' in found) {
      setPermissionHandle(found.needsPermission)
      setFolderState('permission')
    } else setFolderState('missing')
  }
  useEffect(() => {
    launch(false).catch((err) => setError(messageOf(err, t)))
    return () => {
      unsubscribe.current?.()
      unsubscribe.current = null
    }
  }, [membership])

  // A backend picked by the user applies to this device from now on: the session restarts on it and
  // resumes from its checkpoint (at most the current epoch is redone).
  const changeBackend = async (value: string) => {
    setOverride(value)
    setSwitching(true)
    try {
      await saveBackendOverride(value === 'auto' ? null : value)
      const running = currentSession(props.taskId)
      if (running) {
        await running.stop()
        await launch(false)
      }
    } catch (err) {
      setError(messageOf(err, t))
    } finally {
      setSwitching(false)
    }
  }

  const act = async (what: 'start' | 'stop') => {
    if (!token) return
    try {
      await api(token)[what](props.taskId)
    } catch (err) {
      setError(messageOf(err, t))
    }
  }

  // Leave: after a confirmation, stop training here, tell the aggregator, and forget the task in this browser.
  const leave = async () => {
    if (!membership || !confirm(t('task.leaveConfirm', { name: task?.name ?? membership.taskName }))) return
    setLeaving(true)
    try {
      unsubscribe.current?.()
      unsubscribe.current = null
      await currentSession(props.taskId)?.stop()
      const cp = await idbCheckpoints.load(props.taskId)
      // A task already deleted, or a token it no longer knows: there is nothing left to leave there.
      if (cp) await api(cp.token).leave(props.taskId).catch((err: unknown) => {
        if (!(err instanceof ApiError && [401, 403, 404].includes(err.status))) throw err
      })
      await forgetTask(props.taskId)
      setSnap(null)
      setLeft(true)
      if (!initiator) setToken(null)
      setMembership(null)
    } catch (err) {
      setError(messageOf(err, t))
    } finally {
      setLeaving(false)
    }
  }

  if (membership === null && !initiator) {
    return (
      <section>
        <h1>{t('task.title', { name: task?.name ?? props.taskId })}</h1>
        <ErrorBox message={error} />
        <p class="notice" data-testid={left ? 'task-left' : 'task-notmember'}>{left ? t('task.left') : t('task.notmember')}</p>
      </section>
    )
  }

  // Round 0 (version 0 before training) is drawn first when the task has one.
  const history = roundRows(task)
  const tested = history.some((h) => h.test !== null)
  const rounds = history.map((h) => h.round)
  const local = mergeLocalRounds(kept, snap?.local ?? [])
  const localAt = (round: number) => local.find((l) => l.round === round)
  const stateKey = task ? (`state.${task.state}` as StringKey) : null
  const phaseKey = task?.phase ? (`phase.${task.phase}` as StringKey) : null
  const me =
    snap?.status === 'running'
      ? snap.phase
        ? t(`phase.${snap.phase}` as StringKey)
        : t(task?.state === 'waiting' ? 'state.waiting' : 'state.running')
      : snap
        ? t(`session.${snap.status}` as StringKey)
        : folderState === 'missing' || folderState === 'permission'
          ? t('folder.waiting')
          : t('common.loading')

  return (
    <section>
      <h1>{t('task.title', { name: task?.name ?? props.taskId })}</h1>
      <ErrorBox message={error} />
      {task ? (
        <div class="stats">
          <Stat k={t('task.state')} v={stateKey ? t(stateKey) : ''} testId="task-state" />
          <Stat k={t('task.phase')} v={phaseKey ? t(phaseKey) : t('common.none')} testId="task-phase" />
          <Stat k={t('task.round')} v={`${task.round} / ${task.params.max_rounds}`} testId="task-round" />
          {task.phase ? <Stat k={t('task.reported')} v={`${task.counts.reported} / ${task.counts.expected}`} testId="task-reported" /> : null}
          <Stat k={t('task.deadline')} v={task.deadline ? clockTime(task.deadline) : t('common.none')} />
          <Stat k={t('task.best')} v={percent(task.best?.accuracy)} testId="task-best" />
        </div>
      ) : (
        <p class="muted">{t('common.loading')}</p>
      )}
      {task ? <PrivacyNote task={task} /> : null}
      {task ? <SecureAggregationNote task={task} /> : null}
      {initiator && task && inviteUrl && task.state !== 'done' && task.state !== 'stopped' ? (
        <div style="margin-top:12px">
          <label>{t('create.invite')}</label>
          <CopyField value={inviteUrl} testId="dashboard-invite-url" />
        </div>
      ) : null}
      {initiator && task ? (
        <p class="row" style="margin-top:12px">
          {task.state === 'waiting' ? (
            <button type="button" class="primary" onClick={() => act('start')} data-testid="start-button">
              {t('task.start')}
            </button>
          ) : null}
          {task.state === 'running' ? (
            <button type="button" onClick={() => act('stop')}>
              {t('task.stop')}
            </button>
          ) : null}
        </p>
      ) : null}
      {task && (task.state === 'done' || task.state === 'stopped') ? (
        <p style="margin-top:12px">
          <a class="button primary" href={`/tasks/${encodeURIComponent(props.taskId)}/results${initiator ? `#token=${initiator}` : ''}`} data-testid="results-link">
            {t('task.results')}
          </a>
        </p>
      ) : null}

      {membership ? (
        <>
          <h2 data-testid="session-status" data-status={snap?.status ?? ''}>
            {t('task.status', { status: me })}
          </h2>
          <p class="row muted">
            {t('task.you', { name: membership.name })}{' '}
            <button type="button" disabled={leaving} onClick={() => void leave()} data-testid="leave-button">
              {leaving ? t('task.leaving') : t('task.leave')}
            </button>
          </p>
          {folderState === 'missing' ? (
            <>
              <p class="notice" data-testid="folder-repick">
                {t('folder.dialogLost', { name: membership.folder })}
              </p>
              <FolderPicker
                onError={setError}
                onPicked={(f) => {
                  setPendingFolder(props.taskId, f.source)
                  void launch(false)
                }}
              />
            </>
          ) : null}
          {folderState === 'permission' && permissionHandle ? (
            <p class="notice">
              {t('folder.permission', { name: permissionHandle.name })}{' '}
              <button type="button" class="primary" onClick={() => void launch(true)}>
                {t('folder.grant', { name: permissionHandle.name })}
              </button>
            </p>
          ) : null}
          {snap ? (
            <>
              <SessionNotices snap={snap} roundsNotKept={roundsNotKept} />
              <h3>{t('backend.title')}</h3>
              <div class="stats">
                <Stat k={t('backend.name')} v={snap.compute?.backend ?? '…'} testId="backend" />
                {snap.compute?.threads != null ? <Stat k={t('backend.threads')} v={String(snap.compute.threads)} testId="threads" /> : null}
                <Stat k={t('backend.adapter')} v={snap.compute?.adapter ?? t('common.none')} testId="adapter" />
                <Stat
                  k={t('backend.speed')}
                  v={snap.compute?.imagesPerSecond ? t('backend.ips', { value: snap.compute.imagesPerSecond.toFixed(1) }) : t('common.none')}
                  testId="speed"
                />
                {snap.features ? <Stat k={t('features.label')} v={featureText(snap.features, t).short} testId="feature-cache" /> : null}
              </div>
              {snap.features ? (
                <p class="muted" data-testid="feature-cache-detail">
                  {featureText(snap.features, t).detail}
                </p>
              ) : null}
              <p class="row" style="margin-top:12px">
                <label for="backend-override">{t('backend.override')}</label>
                <select id="backend-override" value={override} disabled={switching} data-testid="backend-override" onChange={(e: Event) => void changeBackend((e.target as HTMLSelectElement).value)}>
                  <option value="auto" selected={override === 'auto'}>
                    {t('backend.auto')}
                  </option>
                  {TRAINING_BACKENDS.map((b) => (
                    <option value={b} selected={override === b}>
                      {b}
                    </option>
                  ))}
                </select>
                {switching ? <span class="muted">{t('backend.restarting')}</span> : null}
              </p>
              {snap.compute ? <BackendMeasurements compute={snap.compute} /> : null}
              {snap.progress ? (
                <p class="muted" data-testid="progress" data-round={snap.round} data-step={snap.progress.step}>
                  {t('task.training', { round: snap.round, epoch: snap.progress.epoch, step: snap.progress.step, loss: snap.progress.loss.toFixed(3), accuracy: percent(snap.progress.accuracy) })}
                </p>
              ) : null}
              {/* Below the backend choice: the list can grow mid-training (a file the decoder refuses), and must not move the select. */}
              <SkippedFiles skipped={snap.skipped} testId="session-skipped" />
            </>
          ) : null}
          <TrainAlone taskId={props.taskId} token={token} task={task} folder={membership.folder} sessionBusy={snap?.status === 'preparing' || snap?.status === 'running'} />
        </>
      ) : null}

      <h2>{t('task.charts')}</h2>
      {rounds.length === 0 ? (
        <p class="muted" data-testid="charts-empty">
          {t('chart.empty')}
        </p>
      ) : (
        <>
          <RoundChart
            rounds={rounds}
            xLabel={t('task.round')}
            testId="chart-accuracy"
            series={[
              { label: `${t('common.validation')} ${t('chart.accuracy')}`, color: '#2458c6', values: history.map((h) => h.validation?.accuracy ?? null) },
              // Test points: round 0 and every log_rounds rounds.
              ...(tested ? [{ label: `${t('common.test')} ${t('chart.accuracy')}`, color: '#6b3fa0', values: history.map((h) => h.test?.accuracy ?? null) }] : []),
              // Only this browser trains: the initiator's page has no training figures to show.
              ...(local.length > 0 ? [{ label: `${t('common.train')} ${t('chart.accuracy')}`, color: '#1f7a3d', values: rounds.map((r) => localAt(r)?.trainAccuracy ?? null) }] : []),
            ]}
          />
          <RoundChart
            rounds={rounds}
            xLabel={t('task.round')}
            testId="chart-loss"
            series={[
              { label: `${t('common.validation')} ${t('chart.loss')}`, color: '#b42318', values: history.map((h) => h.validation?.loss ?? null) },
              ...(tested ? [{ label: `${t('common.test')} ${t('chart.loss')}`, color: '#8a5a00', values: history.map((h) => h.test?.loss ?? null) }] : []),
              ...(local.length > 0 ? [{ label: `${t('common.train')} ${t('chart.loss')}`, color: '#c77700', values: rounds.map((r) => localAt(r)?.trainLoss ?? null) }] : []),
            ]}
          />
          {task ? (
            <p class="row">
              <button type="button" onClick={() => downloadHistoryCsv(task)} data-testid="download-history">
                {t('chart.csv')}
              </button>
            </p>
          ) : null}
        </>
      )}

      {task ? <Participants task={task} token={token} initiator={initiator !== null} onError={setError} /> : null}

      <LiveLog logs={logs} />
    </section>
  )
}

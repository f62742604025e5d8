import { useEffect, useRef } from 'hono/jsx/dom'
import { useLiveState } from '../live-state'
import { parseBundle, unzipBundle } from '../../../shared/bundle'
import { countsInTaskSpelling, readDataset } from '../../../shared/dataset'
import type { Dataset, SkippedFile } from '../../../shared/dataset'
import type { Problem } from '../../../shared/problems'
import { ProblemError } from '../../../shared/problems'
import { trainingOptions } from '../../../shared/train'
import type { InviteView } from '../../../shared/wire'
import { api } from '../../api'
import { measureSpec, onMeasureProgress, selectTrainingBackend } from '../../backend'
import type { ComputeInfo, MeasureProgress } from '../../backend'
import { initialCheckpoint, labelCountsOf } from '../../federation/session'
import { isStorageFull, loadMembership, saveJoin } from '../../store'
import { computeReason } from '../backend-reason'
import { ErrorBox, Problems, messageOf } from '../components'
import { DatasetSummary } from '../dataset-summary'
import { FolderPicker } from '../folder-picker'
import type { PickedFolder } from '../folder-picker'
import { useT } from '../i18n'
import { probablyMeant, unknownLabels } from '../label-match'
import { ModelDescription, descriptionOfZip } from '../markdown'
import type { StringKey, Translate } from '../i18n'
import { fragmentParam, navigate } from '../router'
import { SkippedFiles } from '../skipped-files'
import { setPendingFolder } from '../task-folder'

/** An unknown label quoted (a trailing space must show), with the task label it probably meant when it only looks different. */
function unknownLabelText(label: string, taskLabels: readonly string[], t: Translate): string {
  const meant = probablyMeant(label, taskLabels)
  const quoted = t('join.quoted', { label })
  return meant === null ? quoted : t('join.probablyMeant', { label: quoted, meant: t('join.quoted', { label: meant }) })
}

/**
 * Invite link → the task's name and labels (read with the invite) → pick the data folder → validation
 * summary checked against the task's labels, while the backends are timed on the task's model → join,
 * then the dashboard. A browser that already joined goes straight to the dashboard.
 */
export function JoinPage(props: { taskId: string }) {
  const t = useT()
  const invite = fragmentParam('invite')
  const [name, setName] = useLiveState(() => `participant-${Math.random().toString(36).slice(2, 6)}`)
  const [info, setInfo] = useLiveState<InviteView | null>(null)
  const [member, setMember] = useLiveState(false)
  const [folder, setFolder] = useLiveState<PickedFolder | null>(null)
  const [reading, setReading] = useLiveState(false)
  const [dataset, setDataset] = useLiveState<Dataset | null>(null)
  const [problems, setProblems] = useLiveState<Problem[]>([])
  /** Files skipped in a folder that has problems: often the reason for them (every image unreadable). */
  const [skipped, setSkipped] = useLiveState<SkippedFile[]>([])
  const [error, setError] = useLiveState<string | null>(null)
  /** The name a join was refused for because this browser could not keep its token (storage full). */
  const [storageFullAs, setStorageFullAs] = useLiveState<string | null>(null)
  const [joining, setJoining] = useLiveState(false)
  const [progress, setProgress] = useLiveState<MeasureProgress>(null)
  // The choice itself, not its sentence: the sentence is worded in the page's language at each render.
  const [measured, setMeasured] = useLiveState<ComputeInfo | null>(null)
  const [measureError, setMeasureError] = useLiveState<string | null>(null)
  const [description, setDescription] = useLiveState<string | null>(null)
  // The task bundle, read with the invite once: its Model Card is shown now, its model timed later.
  const taskZip = useRef<Promise<Uint8Array> | null>(null)
  const bundleZip = (secret: string) => (taskZip.current ??= api().inviteBundle(props.taskId, secret))
  // State set after the page is gone is dropped (useLiveState); a late answer must not navigate either.
  const mounted = useRef(true)
  useEffect(() => () => void (mounted.current = false), [])

  // A second tab, or a finished task this browser took part in: its dashboard, never a second identity.
  useEffect(() => {
    loadMembership(props.taskId).then(
      (m) => {
        if (!m || !mounted.current) return
        setMember(true)
        navigate(`/tasks/${encodeURIComponent(props.taskId)}`)
      },
      (err) => setError(messageOf(err, t)),
    )
  }, [props.taskId])

  useEffect(() => {
    if (!invite) return
    api().invite(props.taskId, invite).then(setInfo, (err) => setError(messageOf(err, t)))
    // A description that cannot be read is left out: the invite view above says what went wrong.
    bundleZip(invite).then((zip) => setDescription(descriptionOfZip(zip)), () => setDescription(''))
  }, [props.taskId, invite])

  useEffect(() => onMeasureProgress(setProgress), [])

  const mismatch = dataset && info ? unknownLabels(dataset.labels, info.labels) : []
  const folderFits = dataset !== null && info !== null && mismatch.length === 0
  // Masking needs crypto.subtle, which an insecure page lacks: refuse here rather than fail in round 1.
  const noWebCrypto = info?.secureAggregation === true && !(globalThis.crypto as Crypto | undefined)?.subtle

  // Time the task's model on each backend while the participant reads the summary and decides: the
  // figures are cached per device and model, so the dashboard starts training without measuring again.
  // A ref, not state: hono/jsx/dom can run this effect twice before a state change shows, and a second
  // start then waited for the first and said "measured earlier on this device" of a fresh profile.
  const measureStarted = useRef(false)
  useEffect(() => {
    if (!folderFits || !invite || !info || measureStarted.current) return
    measureStarted.current = true
    ;(async () => {
      const unzipped = unzipBundle(await bundleZip(invite), { file: 'task bundle' })
      if (!unzipped.ok) throw new ProblemError(unzipped.problems)
      const parsed = parseBundle(unzipped.value)
      if (!parsed.ok) throw new ProblemError(parsed.problems)
      const training = trainingOptions(parsed.value.config)
      if (!training.ok) throw new ProblemError(training.problems)
      const compute = await selectTrainingBackend(await measureSpec(parsed.value, info.labels, training.value.batchSize))
      setMeasured(compute)
    })().catch((err) => setMeasureError(messageOf(err, t)))
  }, [folderFits])

  const onPicked = async (picked: PickedFolder) => {
    setFolder(picked)
    setDataset(null)
    setProblems([])
    setSkipped([])
    setError(null)
    setReading(true)
    try {
      // check: every image's header is read, so corrupt files are counted before joining, not mid-round.
      // The task's labels are checked below, next to the summary, so the user sees both.
      const result = await readDataset(picked.source, { check: true, name: picked.name })
      if (result.ok) setDataset(result.value)
      else {
        setProblems(result.problems)
        setSkipped(result.skipped ?? [])
      }
    } catch (err) {
      setError(messageOf(err, t))
    } finally {
      setReading(false)
    }
  }

  const join = async () => {
    if (!dataset || !folder || !invite || !folderFits || noWebCrypto) return
    setJoining(true)
    setError(null)
    setStorageFullAs(null)
    try {
      const labelCounts = countsInTaskSpelling(labelCountsOf(dataset.counts, dataset.labels), info?.labels ?? [])
      const creds = await api().join(props.taskId, { invite, name: name.trim(), labelCounts })
      try {
        await saveJoin({
          checkpoint: initialCheckpoint(props.taskId, name.trim(), creds),
          membership: { taskId: props.taskId, taskName: info?.name ?? props.taskId, name: name.trim(), invite, folder: folder.name, labelCounts },
          directory: folder.handle ?? undefined,
        })
      } catch (err) {
        // Without its token kept, this participant could never train: leave at once rather than be selected
        // and waited for until calculation_timeout. The name stays taken by it.
        await api(creds.token).leave(props.taskId).catch(() => undefined)
        throw err
      }
      setPendingFolder(props.taskId, folder.source)
      navigate(`/tasks/${encodeURIComponent(props.taskId)}`)
    } catch (err) {
      // Kept as the name, not as text: the message follows a change of language.
      if (isStorageFull(err)) setStorageFullAs(name.trim())
      else setError(messageOf(err, t))
      setJoining(false)
    }
  }

  if (!invite) {
    return (
      <section>
        <h1>{t('join.title')}</h1>
        <p class="error">{t('join.noinvite')}</p>
      </section>
    )
  }
  if (member) {
    return (
      <section>
        <h1>{t('join.title')}</h1>
        <p class="notice" data-testid="join-member">
          {t('join.member')}
        </p>
      </section>
    )
  }
  const finished = info && (info.state === 'done' || info.state === 'stopped')
  return (
    <section>
      <h1>{t('join.title')}</h1>
      <p class="muted" data-testid="join-task">
        {info ? t('join.taskName', { name: info.name }) : error ? t('join.task', { id: props.taskId }) : t('join.loading')}
      </p>
      {finished ? (
        <p class="notice" data-testid="join-finished">
          {t('join.finished', { state: t(`state.${info.state}` as StringKey) })}
        </p>
      ) : noWebCrypto ? (
        <p class="error" data-testid="join-secagg-insecure">
          {t('join.secaggInsecure')}
        </p>
      ) : (
        <>
          <label for="join-name">{t('join.name')}</label>
          <input id="join-name" type="text" value={name} onInput={(e: Event) => setName((e.target as HTMLInputElement).value)} data-testid="join-name" />
          <h2>{t('folder.pick')}</h2>
          <FolderPicker onPicked={onPicked} onError={setError} />
        </>
      )}
      <ErrorBox message={error ?? (storageFullAs !== null ? t('join.storageFull', { name: storageFullAs }) : null)} />
      {reading && folder ? <p class="muted">{t('folder.reading', { name: folder.name })}</p> : null}
      <Problems title={t('dataset.problems')} problems={problems} testId="dataset-problems" />
      <SkippedFiles skipped={skipped} />
      {dataset && folder && !finished ? (
        <>
          <DatasetSummary dataset={dataset} folder={folder.name} unknown={mismatch}>
            {mismatch.length > 0 && info ? (
              <div class="error" data-testid="label-mismatch">
                <p>{t('join.mismatch', { unknown: mismatch.map((l) => unknownLabelText(l, info.labels, t)).join(t('join.listSeparator')), labels: info.labels.join(', ') })}</p>
                {mismatch.some((l) => probablyMeant(l, info.labels) !== null) ? <p data-testid="label-rename">{t('join.mismatchRename')}</p> : null}
                <p>{t('join.mismatchHelp')}</p>
              </div>
            ) : null}
          </DatasetSummary>
          {/* The button comes before the measurement: its text changes while the user aims at Join, and a
              button that moves between press and release loses the click. */}
          <button type="button" class="primary" disabled={joining || name.trim() === '' || !folderFits || noWebCrypto} onClick={join} data-testid="join-button">
            {joining ? t('join.joining') : t('join.button')}
          </button>
          {folderFits ? (
            <div class="card" data-testid="measure">
              <p class="muted">{t('join.measureWhy')}</p>
              {progress ? (
                <p data-testid="measure-progress" data-backend={progress.backend}>
                  {progress.waitingFor
                    ? t('join.settling', { backends: progress.waitingFor.join(t('join.listSeparator')), seconds: Math.ceil(progress.limitMs / 1000) })
                    : t('join.measuring', { backend: progress.backend, seconds: Math.ceil(progress.limitMs / 1000) })}
                </p>
              ) : null}
              {measured ? <p data-testid="measure-result">{t('join.measured', { reason: computeReason(measured, t) })}</p> : null}
              {measureError ? <p class="muted">{t('join.measureFailed', { error: measureError })}</p> : null}
            </div>
          ) : null}
        </>
      ) : null}
      {/* Last: it arrives with the bundle's download (seconds for a large model on a slow link), and above
          the form it pushed the name field and the folder button down while the user aimed at them. */}
      <ModelDescription text={description} title={t('join.model')} />
    </section>
  )
}

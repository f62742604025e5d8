import { useState } from 'hono/jsx/dom'
import { readDataset } from '../../../shared/dataset'
import type { Dataset } from '../../../shared/dataset'
import type { Problem } from '../../../shared/problems'
import { api } from '../../api'
import { initialCheckpoint, idbCheckpoints, labelCountsOf } from '../../federation/session'
import { saveDirectory, saveMembership } from '../../store'
import { ErrorBox, Problems, messageOf } from '../components'
import { DatasetSummary } from '../dataset-summary'
import { FolderPicker } from '../folder-picker'
import type { PickedFolder } from '../folder-picker'
import { useT } from '../i18n'
import { fragmentParam, navigate } from '../router'
import { setPendingFolder } from '../task-folder'

/** Invite link → pick the data folder → validation summary → join, then the dashboard. */
export function JoinPage(props: { taskId: string }) {
  const t = useT()
  const invite = fragmentParam('invite')
  const [name, setName] = useState(() => `participant-${Math.random().toString(36).slice(2, 6)}`)
  const [folder, setFolder] = useState<PickedFolder | null>(null)
  const [reading, setReading] = useState(false)
  const [dataset, setDataset] = useState<Dataset | null>(null)
  const [problems, setProblems] = useState<Problem[]>([])
  const [error, setError] = useState<string | null>(null)
  const [joining, setJoining] = useState(false)


  const onPicked = async (picked: PickedFolder) => {
    setFolder(picked)
    setDataset(null)
    setProblems([])
    setError(null)
    setReading(true)
    try {
      // The task's labels are not readable with the invite alone (edge/API.md): the aggregator checks
      // them at join and answers 422 naming the unknown labels, shown below.
      // check: every image's header is read, so corrupt files are counted before joining, not mid-round.
      const result = await readDataset(picked.source, { check: true, name: picked.name })
      if (result.ok) setDataset(result.value)
      else setProblems(result.problems)
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setReading(false)
    }
  }

  const join = async () => {
    if (!dataset || !folder || !invite) return
    setJoining(true)
    setError(null)
    try {
      const labelCounts = labelCountsOf(dataset.counts, dataset.labels)
      const creds = await api().join(props.taskId, { invite, name: name.trim(), labelCounts })
      await idbCheckpoints.save(initialCheckpoint(props.taskId, name.trim(), creds))
      await saveMembership({ taskId: props.taskId, taskName: props.taskId, name: name.trim(), invite, folder: folder.name, labelCounts })
      if (folder.handle) await saveDirectory(props.taskId, folder.handle)
      setPendingFolder(props.taskId, folder.source)
      navigate(`/tasks/${encodeURIComponent(props.taskId)}`)
    } catch (err) {
      setError(messageOf(err))
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
  return (
    <section>
      <h1>{t('join.title')}</h1>
      <p class="muted">
        {t('join.task', { id: props.taskId })}
      </p>
      <label for="join-name">{t('join.name')}</label>
      <input id="join-name" type="text" value={name} onInput={(e: Event) => setName((e.target as HTMLInputElement).value)} data-testid="join-name" />
      <h2>{t('folder.pick')}</h2>
      <FolderPicker onPicked={onPicked} onError={setError} />
      <ErrorBox message={error} />
      {reading && folder ? <p class="muted">{t('folder.reading', { name: folder.name })}</p> : null}
      <Problems title={t('dataset.problems')} problems={problems} testId="dataset-problems" />
      {dataset && folder ? (
        <>
          <DatasetSummary dataset={dataset} folder={folder.name} />
          <button type="button" class="primary" disabled={joining || name.trim() === ''} onClick={join} data-testid="join-button">
            {joining ? t('join.joining') : t('join.button')}
          </button>
        </>
      ) : null}
    </section>
  )
}

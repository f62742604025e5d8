import { useEffect } from 'hono/jsx/dom'
import { useLiveState } from '../live-state'
import type { TaskView } from '../../../shared/wire'
import { api } from '../../api'
import { forgetCreatedTask, listCreatedTasks, listMemberships } from '../../store'
import type { CreatedTask, Membership } from '../../store'
import { ErrorBox, messageOf } from '../components'
import { useT } from '../i18n'
import type { StringKey } from '../i18n'
import { fragmentParam, rememberedSlot } from '../router'

/** The initiator token this tab holds: in this page's fragment, or kept by the create page for this tab. */
function initiatorToken(): string | null {
  const here = fragmentParam('token')
  if (here) return here
  try {
    return sessionStorage.getItem(rememberedSlot('/create', 'token'))
  } catch {
    return null
  }
}

const dashboard = (taskId: string, token: string | null) => `/tasks/${encodeURIComponent(taskId)}${token ? `#token=${encodeURIComponent(token)}` : ''}`

/** Every task on the aggregator, for the initiator: open, stop, delete. */
function InitiatorTasks(props: { token: string; onDeleted: (taskId: string) => void }) {
  const t = useT()
  const [tasks, setTasks] = useLiveState<TaskView[] | null>(null)
  const [error, setError] = useLiveState<string | null>(null)
  const [busy, setBusy] = useLiveState<string | null>(null)
  const refresh = () => api(props.token).listTasks().then(setTasks, (err) => setError(messageOf(err, t)))
  useEffect(() => {
    void refresh()
  }, [props.token])

  const act = async (task: TaskView, what: 'stop' | 'delete') => {
    if (what === 'delete' && !confirm(t('home.deleteConfirm', { name: task.name }))) return
    setBusy(task.id)
    setError(null)
    try {
      if (what === 'stop') await api(props.token).stop(task.id)
      else {
        await api(props.token).deleteTask(task.id)
        props.onDeleted(task.id)
      }
      await refresh()
    } catch (err) {
      setError(messageOf(err, t))
    } finally {
      setBusy(null)
    }
  }

  return (
    <>
      <h2>{t('home.all')}</h2>
      <p class="muted">{t('home.allHelp')}</p>
      <ErrorBox message={error} />
      {tasks === null ? (
        error ? null : <p class="muted">{t('common.loading')}</p>
      ) : tasks.length === 0 ? (
        <p class="muted">{t('home.notasks')}</p>
      ) : (
        <div class="table-wrap">
          <table data-testid="initiator-tasks">
            <thead>
              <tr>
                <th>{t('home.col.name')}</th>
                <th>{t('home.col.state')}</th>
                <th class="num">{t('home.col.round')}</th>
                <th class="num">{t('home.col.participants')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tasks.map((task) => (
                <tr data-task={task.id} data-state={task.state}>
                  <td class="name">
                    <a href={dashboard(task.id, props.token)}>{task.name}</a> <code class="muted">{task.id}</code>
                    {task.damaged ? <div class="error">{task.damaged}</div> : null}
                  </td>
                  <td class="nowrap">{task.damaged ? '—' : t(`state.${task.state}` as StringKey)}</td>
                  <td class="num nowrap">{task.damaged ? '' : `${task.round} / ${task.params.max_rounds}`}</td>
                  <td class="num">{task.damaged ? '' : task.participants.length}</td>
                  <td class="actions">
                    <a class="button" href={dashboard(task.id, props.token)} data-testid="task-open">
                      {t('home.open')}
                    </a>
                    {!task.damaged && (task.state === 'waiting' || task.state === 'running') ? (
                      <button type="button" disabled={busy === task.id} onClick={() => void act(task, 'stop')} data-testid="task-stop">
                        {t('home.stop')}
                      </button>
                    ) : null}
                    <button type="button" class="danger" disabled={busy === task.id} onClick={() => void act(task, 'delete')} data-testid="task-delete">
                      {t('home.delete')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  )
}

/** What autofed is, where to go next, the tasks this browser joined or created, and for the initiator every task. */
export function HomePage() {
  const t = useT()
  const [token] = useLiveState<string | null>(initiatorToken)
  const [joined, setJoined] = useLiveState<Membership[] | null>(null)
  const [created, setCreated] = useLiveState<CreatedTask[]>([])
  useEffect(() => {
    listMemberships().then(setJoined, () => setJoined([]))
    listCreatedTasks().then(setCreated, () => setCreated([]))
  }, [])
  const onDeleted = (taskId: string) => {
    setCreated((list) => list.filter((c) => c.taskId !== taskId))
    void forgetCreatedTask(taskId).catch(() => {})
  }
  return (
    <section>
      <h1>{t('app.tagline')}</h1>
      <p class="muted">{t('home.intro')}</p>
      <div class="cards">
        <div class="card">
          <h3>{t('home.join.title')}</h3>
          <p>{t('home.join.text')}</p>
        </div>
        <div class="card">
          <h3>{t('home.create.title')}</h3>
          <p>{t('home.create.text')}</p>
          <a class="button" href="/create">
            {t('nav.create')}
          </a>
        </div>
        <div class="card">
          <h3>{t('home.predict.title')}</h3>
          <p>{t('home.predict.text')}</p>
          <a class="button" href="/predict">
            {t('nav.predict')}
          </a>
        </div>
      </div>
      <h2>{t('home.mytasks')}</h2>
      {joined === null ? (
        <p class="muted">{t('common.loading')}</p>
      ) : joined.length === 0 ? (
        <p class="muted">{t('home.notasks')}</p>
      ) : (
        <ul data-testid="joined-tasks">
          {joined.map((m) => (
            <li>
              <a href={dashboard(m.taskId, null)}>{m.taskName || m.taskId}</a> <span class="muted">{t('home.as', { name: m.name })}</span>
            </li>
          ))}
        </ul>
      )}
      {created.length > 0 ? (
        <>
          <h2>{t('home.created')}</h2>
          <ul data-testid="created-tasks">
            {created.map((c) => (
              <li>
                <a href={dashboard(c.taskId, token)}>{c.name}</a> <code class="muted">{c.taskId}</code>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {token ? <InitiatorTasks token={token} onDeleted={onDeleted} /> : null}
    </section>
  )
}

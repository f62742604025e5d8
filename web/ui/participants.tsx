import { useEffect } from 'hono/jsx/dom'
import { useLiveState } from './live-state'
import { participantsBehind } from '../../shared/client'
import type { ParticipantView, TaskView } from '../../shared/wire'
import { api } from '../api'
import { messageOf } from './components'
import { useT } from './i18n'

/**
 * The task's sites. The initiator's list is live (its event stream carries every join, leave and drop);
 * a participant's stream carries only the totals (edge/API.md), so its list is fetched when shown and
 * again when the totals change while it is shown: what a participant receives per round stays the same
 * whatever the number of sites.
 */
export function Participants(props: { task: TaskView; token: string | null; initiator: boolean; onError(message: string): void }) {
  const t = useT()
  const [open, setOpen] = useLiveState(false)
  const [fetched, setFetched] = useLiveState<ParticipantView[] | null>(null)
  const { task, token, initiator } = props
  const c = task.counts
  const list = initiator ? task.participants : (fetched ?? task.participants)
  useEffect(() => {
    // Fetched again only when the totals no longer match the list shown.
    if (initiator || !open || !token || (fetched !== null && !participantsBehind({ ...task, participants: fetched }))) return
    api(token).task(task.id).then((v) => setFetched(v.participants), (err) => props.onError(messageOf(err, t)))
  }, [open, c.participants, c.online, token])
  const table = (
    <div class="table-wrap">
      <table data-testid="participants">
        <thead>
          <tr>
            <th>{t('task.name')}</th>
            <th class="num">{t('task.examples')}</th>
            <th>{t('task.online')}</th>
            <th class="num" title={t('task.roundsInHint')}>
              {t('task.roundsIn')}
            </th>
            <th class="num">{t('task.lastRound')}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((p) => (
            <tr>
              <td>{p.name}</td>
              <td class="num">{p.examples}</td>
              <td>{p.online ? t('task.yes') : t('task.no')}</td>
              {/* Another site's contributions are not in a participant's view: a dash, not a zero. */}
              <td class="num" data-testid="participant-rounds">{p.rounds ?? '—'}</td>
              <td class="num">{p.lastRound ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
  return (
    <>
      <h2>{t('task.participants')}</h2>
      <p class="muted" data-testid="participant-counts">
        {t(c.participants === 1 ? 'task.countsOne' : 'task.counts', { participants: c.participants, online: c.online })}
      </p>
      {initiator ? (
        table
      ) : (
        <details data-testid="participants-details" onToggle={(e: Event) => setOpen((e.target as HTMLDetailsElement).open)}>
          <summary>{t('task.showList')}</summary>
          <p class="muted">{t('task.listNote')}</p>
          {table}
        </details>
      )}
    </>
  )
}

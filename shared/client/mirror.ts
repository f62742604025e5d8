import type { RoundMetrics, TaskEvent, TaskView } from '../wire'

/** The task view a client holds and the `seq` of the latest event merged into it. */
export type Mirror = { view: TaskView | null; seq: number }

export const EMPTY_MIRROR: Mirror = { view: null, seq: 0 }

/**
 * Merges one task event into the view a client holds (a new object when it changed). `resync` is true
 * when the client missed something and must fetch the whole view again (reconnect): a change arrived
 * before any view, or a `status` says more rounds closed than the `round` events merged. A `state` (a
 * connection's first event) replaces the view whatever its `seq` (a restarted aggregator numbers from 0
 * again); any other event numbered at or below the view's `seq` is already in it and changes nothing, so
 * the events published while a connection's first view was read may arrive again without harm.
 */
export function mergeTaskEvent(m: Mirror, e: TaskEvent): { mirror: Mirror; resync: boolean } {
  const same = { mirror: m, resync: false }
  if (e.type === 'log') return same
  if (e.type === 'state') return { mirror: { view: e.data, seq: e.seq ?? 0 }, resync: false }
  const view = m.view
  if (!view) return { mirror: m, resync: true }
  if (e.seq !== undefined && e.seq <= m.seq) return same
  const seq = e.seq ?? m.seq
  switch (e.type) {
    case 'status': {
      const { rounds, initial, ...fields } = e.data
      const next: TaskView = { ...view, ...fields }
      return { mirror: { view: next, seq }, resync: rounds !== next.history.length || initial !== (next.initial !== null) }
    }
    case 'round': {
      const history = withRound(view.history, e.data)
      if (e.data.round === 0) return { mirror: { view: { ...view, initial: e.data }, seq }, resync: false }
      return history ? { mirror: { view: { ...view, history }, seq }, resync: false } : { mirror: m, resync: true }
    }
    case 'participant': {
      const p = e.data.participant
      const i = view.participants.findIndex((x) => x.id === p.id)
      const participants = i < 0 ? [...view.participants, p] : view.participants.map((x, k) => (k === i ? p : x))
      return { mirror: { view: { ...view, participants }, seq }, resync: false }
    }
  }
}

/** `history` with round `m` in place (`history[i].round` is i + 1), or null when rounds before it are missing. */
function withRound(history: RoundMetrics[], m: RoundMetrics): RoundMetrics[] | null {
  if (m.round === 0) return history
  if (m.round <= history.length) return history.map((h, i) => (i === m.round - 1 ? m : h))
  return m.round === history.length + 1 ? [...history, m] : null
}

/**
 * The sites of the view are fewer or otherwise online than its counts say: a participant's view (it gets
 * no `participant` events) after sites joined, left or dropped. A page showing the list fetches it again.
 */
export function participantsBehind(view: TaskView): boolean {
  const online = view.participants.reduce((n, p) => n + (p.online ? 1 : 0), 0)
  return view.participants.length !== view.counts.participants || online !== view.counts.online
}

import type { ParticipantView, TaskEvent, TaskStatus, TaskView } from '../../shared/wire'

/**
 * What each caller may see of a task (README "Security and reliability"): the initiator (`viewer` null)
 * everything; a participant its own label counts and rounds in the model, the names, online state and total train images of the
 * other sites, the totals of the round (`counts`), and in `selected` and `reported` only itself. Over
 * SSE a participant gets no `participant` events and no other participant's log lines: what it receives
 * per round stays the same whatever the number of sites (edge/SCALING.md).
 */

/** Another site as a participant sees it: name, online and total train images, not its per-label counts. */
function otherSite(p: ParticipantView): ParticipantView {
  return { id: p.id, name: p.name, online: p.online, examples: p.examples, labelCounts: {} }
}

/** The ids of `ids` a viewer may see: all for the initiator, only itself for a participant. */
function own(ids: readonly string[], viewer: string, has = ids.includes(viewer)): string[] {
  return has ? [viewer] : []
}

/** The view a caller may see. */
export function viewFor(view: TaskView, viewer: string | null): TaskView {
  if (viewer === null) return view
  return {
    ...view,
    participants: view.participants.map((p) => (p.id === viewer ? p : otherSite(p))),
    selected: own(view.selected, viewer),
    reported: own(view.reported, viewer),
  }
}

/** Sets of a status's lists, built once per event for all its connections (not a scan of N ids per connection). */
const members = new WeakMap<TaskStatus, { selected: Set<string>; reported: Set<string> }>()

/** A status as a caller may see it (see viewFor). */
export function statusFor(status: TaskStatus, viewer: string | null): TaskStatus {
  if (viewer === null) return status
  let m = members.get(status)
  if (!m) members.set(status, (m = { selected: new Set(status.selected), reported: new Set(status.reported) }))
  return { ...status, selected: own(status.selected, viewer, m.selected.has(viewer)), reported: own(status.reported, viewer, m.reported.has(viewer)) }
}

/** A participant event as `viewer` may see it (see viewFor). */
export function participantFor(p: ParticipantView, viewer: string | null): ParticipantView {
  return viewer === null || p.id === viewer ? p : otherSite(p)
}

/**
 * An event's data as `viewer` may see it, or null when it is not for that viewer: one addressed `to` a
 * participant goes to it alone; `participant` events and participants' log lines go to the initiator
 * and, for its own, to that participant (the aggregator's lines, `participantId: ""`, go to everyone).
 */
export function eventFor(e: TaskEvent, to: string | undefined, viewer: string | null): TaskEvent['data'] | null {
  if (to !== undefined && to !== viewer) return null
  switch (e.type) {
    case 'state':
      return viewFor(e.data, viewer)
    case 'status':
      return statusFor(e.data, viewer)
    case 'participant':
      return viewer === null || e.data.participant.id === viewer ? e.data : null
    case 'log':
      return viewer === null || e.data.participantId === '' || e.data.participantId === viewer ? e.data : null
    default:
      return e.data
  }
}

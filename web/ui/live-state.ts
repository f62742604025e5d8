import { useEffect, useRef, useState } from 'hono/jsx/dom'

/** A state setter, as useState returns it. */
export type SetState<T> = (next: T | ((previous: T) => T)) => void

/**
 * useState whose setter does nothing once its component has left the page. An answer that arrives late (a
 * fetch, the backend measurement, a subscription) must not draw a page that is gone: hono/jsx/dom (4.13)
 * renders a removed component again, into its old place, from the second state change after its removal;
 * that put a second, invite-less join page under a participant's dashboard.
 */
export function useLiveState<T>(initial: T | (() => T)): [T, SetState<T>] {
  const [value, set] = useState<T>(initial)
  const mounted = useRef(true)
  useEffect(() => () => void (mounted.current = false), [])
  const live = useRef<SetState<T>>((next) => {
    if (mounted.current) set(next)
  })
  return [value, live.current]
}

import { useEffect, useRef } from 'hono/jsx/dom'

/**
 * Keeps exactly one subscription per `key` (null: none) for the component's lifetime: `open` is called
 * when the key changes, and the previous subscription is closed first.
 *
 * Why not a plain useEffect: hono/jsx/dom can run the same effect twice without the cleanup in between
 * when two renders are queued before effects flush (seen on the dashboard after joining with a folder
 * handle: two SSE connections, every log line shown twice).
 */
export function useSubscription(key: string | null, open: () => () => void): void {
  const current = useRef<{ key: string; close: () => void } | null>(null)
  useEffect(() => {
    if (current.current?.key === key) return
    current.current?.close()
    current.current = key === null ? null : { key, close: open() }
  }, [key])
  useEffect(
    () => () => {
      current.current?.close()
      current.current = null
    },
    [],
  )
}

import { WRITE_POINTS, type WritePoint } from '../../round'

/**
 * Fault injection for the crash tests (edge/adapter/node/crash.test.ts), off unless AUTOFED_KILL_AT is
 * set: `AUTOFED_KILL_AT=<write point>[@<n>]` makes the process SIGKILL itself right after the n-th
 * (default first) write at that point (edge/round/write-points.ts names them), as a power cut or the
 * OOM killer would: no exit handler, no flush. Returns the engine's `written` hook, or undefined.
 */
export function killAtHook(spec: string | undefined): ((point: WritePoint) => void) | undefined {
  if (!spec) return undefined
  const [point, nth = '1'] = spec.split('@')
  if (!WRITE_POINTS.includes(point as WritePoint) || !/^[1-9]\d*$/.test(nth)) {
    throw new Error(`AUTOFED_KILL_AT="${spec}" is not <point>[@<n>]; points: ${WRITE_POINTS.join(', ')}`)
  }
  let left = Number(nth)
  return (p) => {
    if (p !== point || --left > 0) return
    process.stderr.write(`AUTOFED_KILL_AT: killed at ${spec}\n`)
    process.kill(process.pid, 'SIGKILL')
  }
}

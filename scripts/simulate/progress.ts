import type { RoundRow } from './run'

type Sink = { isTTY?: boolean; columns?: number; write(text: string): unknown }

const BAR = 24

/**
 * Shows the simulation's rounds as they close: on a terminal one line redrawn in place (a bar of rounds
 * done against max_rounds, the test accuracy against the target); elsewhere (a log, a pipe) a plain line
 * per round.
 */
export function progressPrinter(out: Sink) {
  let drawn = false
  return {
    round(row: RoundRow, { maxRounds, target }: { maxRounds: number; target: number | null }): void {
      const eps = row.epsilon === null ? '' : `, ε ${row.epsilon.toFixed(3)}`
      const acc = `test accuracy ${row.accuracy.toFixed(4)}${target === null ? '' : ` (target ${target})`}, loss ${row.loss.toFixed(4)}${eps}`
      const time = `${row.seconds.toFixed(1)} s, ${(row.seconds / row.round).toFixed(2)} s/round`
      if (!out.isTTY) {
        out.write(`round ${row.round}: ${acc}, ${row.contributors} clients, ${time}\n`)
        return
      }
      const filled = Math.round((row.round / maxRounds) * BAR)
      const line = `round ${row.round}/${maxRounds} [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${acc}, ${time}`
      out.write(`\r${line.slice(0, (out.columns ?? 120) - 1).padEnd((out.columns ?? 120) - 1)}`)
      drawn = true
    },
    /** Ends the redrawn line so what follows starts on its own. */
    done(): void {
      if (drawn) out.write('\n')
      drawn = false
    },
  }
}

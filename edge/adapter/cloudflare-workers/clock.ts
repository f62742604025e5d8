import type { Clock } from '../../round'

/** How long a deadline whose handling failed waits before it is tried again (ms). */
const RETRY_MS = 10_000

/**
 * A Clock on the Durable Object's alarm. The object has one alarm; the deadline of each task it holds
 * (one in practice) is kept in a table and the alarm is set to the earliest, so it fires after a restart
 * or an eviction with no request in flight.
 */
export function createAlarmClock(storage: DurableObjectStorage): Clock & { fire(handler: (taskId: string) => Promise<void>): Promise<void> } {
  const sql = storage.sql
  sql.exec('CREATE TABLE IF NOT EXISTS autofed_alarm (task TEXT PRIMARY KEY, at INTEGER NOT NULL)')

  const rearm = () => {
    const next = sql.exec<{ at: number | null }>('SELECT min(at) AS at FROM autofed_alarm').one().at
    // Storage writes of a Durable Object are ordered and confirmed before its next response leaves.
    const done = next === null ? storage.deleteAlarm() : storage.setAlarm(next)
    done.catch((e: unknown) => console.error('setting the Durable Object alarm failed', e))
  }

  return {
    now: () => Date.now(),
    setAlarm(taskId, at) {
      if (at === null) sql.exec('DELETE FROM autofed_alarm WHERE task = ?', taskId)
      else sql.exec('INSERT OR REPLACE INTO autofed_alarm (task, at) VALUES (?, ?)', taskId, at)
      rearm()
    },
    /** Runs `handler` for every task whose deadline has come (the handler re-arms what it still needs). */
    async fire(handler) {
      const due = sql.exec<{ task: string }>('SELECT task FROM autofed_alarm WHERE at <= ?', Date.now()).toArray()
      for (const { task } of due) {
        sql.exec('DELETE FROM autofed_alarm WHERE task = ?', task)
        try {
          await handler(task)
        } catch (e) {
          console.error(`task ${task}: deadline handling failed; trying again in ${RETRY_MS / 1000} s`, e)
          sql.exec('INSERT OR IGNORE INTO autofed_alarm (task, at) VALUES (?, ?)', task, Date.now() + RETRY_MS)
        }
      }
      rearm()
    },
  }
}

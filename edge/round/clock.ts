/**
 * Time as the round engine sees it. One alarm per task, as a Durable Object has: the engine sets the
 * time of the task's next deadline (or null), and the runtime calls `engine.alarm(taskId)` when it is
 * due. Tests use a manual clock and move time forward without sleeping.
 */
export interface Clock {
  now(): number
  setAlarm(taskId: string, at: number | null): void
}

/** A Clock on the process's timers (Node). `onAlarm` is bound after the engine exists. */
export function createTimerClock(): Clock & { onAlarm(handler: (taskId: string) => void): void; stopAll(): void } {
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  let handler: (taskId: string) => void = () => {}
  return {
    now: () => Date.now(),
    setAlarm(taskId, at) {
      const old = timers.get(taskId)
      if (old !== undefined) clearTimeout(old)
      timers.delete(taskId)
      if (at === null) return
      // Timers fire at most 2^31-1 ms ahead; a later deadline re-arms itself when the alarm runs early.
      const delay = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1)
      timers.set(
        taskId,
        setTimeout(() => {
          timers.delete(taskId)
          handler(taskId)
        }, delay),
      )
    },
    onAlarm(h) {
      handler = h
    },
    stopAll() {
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
    },
  }
}

/** A Clock for tests: time moves only through `advance`, which runs every alarm that falls due. */
export function createManualClock(start = 1_700_000_000_000): Clock & {
  onAlarm(handler: (taskId: string) => Promise<void>): void
  advance(ms: number): Promise<void>
  alarmOf(taskId: string): number | null
} {
  let now = start
  const alarms = new Map<string, number>()
  let handler: (taskId: string) => Promise<void> = async () => {}
  return {
    now: () => now,
    setAlarm(taskId, at) {
      if (at === null) alarms.delete(taskId)
      else alarms.set(taskId, at)
    },
    onAlarm(h) {
      handler = h
    },
    alarmOf: (taskId) => alarms.get(taskId) ?? null,
    async advance(ms) {
      const end = now + ms
      for (;;) {
        const due = [...alarms].filter(([, at]) => at <= end).sort((a, b) => a[1] - b[1])[0]
        if (!due) break
        now = Math.max(now, due[1])
        alarms.delete(due[0])
        await handler(due[0])
      }
      now = end
    },
  }
}

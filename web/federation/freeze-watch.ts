/**
 * Calls `onResume` with how long the browser froze this page, each time it resumes it. Chrome freezes a
 * tab hidden for 5 min that uses the CPU when Energy Saver is on (from Chrome 133), and a tab holding a
 * Web Lock nobody waits for is not spared: a participant training in a background tab then stops, and the
 * rounds go on without it. The page lifecycle's `freeze` and `resume` events say when (Chromium only;
 * elsewhere nothing is reported). Returns a function that stops watching.
 */
export function watchFreezes(onResume: (pausedMs: number) => void, target: EventTarget = document, now: () => number = Date.now): () => void {
  let frozenAt: number | null = null
  const freeze = () => {
    frozenAt = now()
  }
  const resume = () => {
    if (frozenAt === null) return
    const paused = Math.max(0, now() - frozenAt)
    frozenAt = null
    onResume(paused)
  }
  target.addEventListener('freeze', freeze)
  target.addEventListener('resume', resume)
  return () => {
    target.removeEventListener('freeze', freeze)
    target.removeEventListener('resume', resume)
  }
}

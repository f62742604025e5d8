/** Edit distance (insertions, deletions, substitutions) between two short names. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]
}

/**
 * The known names a misspelt `name` most likely meant: those a few edits away, else those sharing its first word
 * (`server_lr` → the `server_…` names; words split on `_` or `-`).
 */
export function likelyMeant(name: string, known: readonly string[]): string[] {
  const k = name.toLowerCase()
  const close = known.filter((n) => distance(k, n) <= Math.max(2, Math.floor(n.length / 4)))
  if (close.length > 0) return close
  const [word, ...rest] = k.split(/[_-]/)
  return word.length >= 3 && rest.length > 0 ? known.filter((n) => n.split(/[_-]/)[0] === word && n !== word) : []
}

/** ` (did you mean "a", "b" or "c"?)` for the likely meant names, each formatted by `show`; empty when there is none. */
export function didYouMean(meant: readonly string[], show: (n: string) => string = (n) => `"${n}"`): string {
  if (meant.length === 0) return ''
  const s = meant.map(show)
  return ` (did you mean ${s.length === 1 ? s[0] : `${s.slice(0, -1).join(', ')} or ${s[s.length - 1]}`}?)`
}

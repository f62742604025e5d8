import type { Problem } from '../problems'

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

/** The known names a misspelt `key` most likely meant: a few edits away, or sharing its first word (`server_lr`). */
function likelyMeant(key: string, known: readonly string[]): string[] {
  const k = key.toLowerCase()
  const close = known.filter((n) => distance(k, n) <= Math.max(2, Math.floor(n.length / 4)))
  if (close.length > 0) return close
  const word = k.split('_')[0]
  return word.length >= 3 && k.includes('_') ? known.filter((n) => n.startsWith(`${word}_`)) : []
}

/**
 * A problem for each key of the object `input` that `known` does not name. A schema that strips unknown keys
 * would drop a misspelt setting without a word, and the task would not do what its creator wrote. `explain` says
 * where a setting that belongs elsewhere goes instead.
 */
export function unknownKeys(input: unknown, known: readonly string[], file: string, what: string, explain: Readonly<Record<string, string>> = {}): Problem[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return []
  return Object.keys(input)
    .filter((key) => !known.includes(key))
    .map((key) => {
      if (Object.hasOwn(explain, key)) return { file, field: key, message: `is not ${what}: ${explain[key]}` }
      const meant = likelyMeant(key, known).map((n) => `"${n}"`)
      const hint = meant.length === 0 ? '' : ` (did you mean ${meant.length === 1 ? meant[0] : `${meant.slice(0, -1).join(', ')} or ${meant[meant.length - 1]}`}?)`
      return { file, field: key, message: `is not ${what}${hint}; correct or remove it` }
    })
}

import { didYouMean, likelyMeant, type Problem } from '../problems'

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
      return { file, field: key, message: `is not ${what}${didYouMean(likelyMeant(key, known))}; correct or remove it` }
    })
}

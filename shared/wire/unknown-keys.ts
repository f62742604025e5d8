import { likelyMeant, type Problem } from '../problems'
import { notAParameter } from './param-problems'

/**
 * A problem for each key of the task parameters `input` that `known` does not name. A schema that strips
 * unknown keys would drop a misspelt setting without a word, and the task would not do what its creator wrote;
 * a setting that belongs to the bundle is said where it goes instead.
 */
export function unknownKeys(input: unknown, known: readonly string[]): Problem[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return []
  return Object.keys(input)
    .filter((key) => !known.includes(key))
    .map((key) => notAParameter(key, likelyMeant(key, known)))
}

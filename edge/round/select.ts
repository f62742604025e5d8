import { seededRandom, shuffled } from '../../shared/random'

/** How many of `available` participants a round selects (fraction in (0,1] or count >= 2, at least min). */
export function selectionSize(available: number, perRound: number, min: number, cap = Infinity): number {
  const wanted = perRound <= 1 ? Math.ceil(perRound * available) : perRound
  return Math.min(available, cap, Math.max(wanted, min, 1))
}

/** Picks `k` ids from `ids` (in join order), seeded by task seed, round and attempt. */
export function selectParticipants(ids: readonly string[], k: number, seed: number, round: number, attempt: number): string[] {
  const rnd = seededRandom((seed * 1_000_003 + round * 7919 + attempt * 104_729) >>> 0)
  const chosen = new Set(shuffled(ids, rnd).slice(0, k))
  return ids.filter((id) => chosen.has(id))
}

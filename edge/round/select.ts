/** A small seeded PRNG (mulberry32): the same seed gives the same selection on every runtime. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** How many of `available` participants a round selects (fraction in (0,1] or count >= 2, at least min). */
export function selectionSize(available: number, perRound: number, min: number, cap = Infinity): number {
  const wanted = perRound <= 1 ? Math.ceil(perRound * available) : perRound
  return Math.min(available, cap, Math.max(wanted, min, 1))
}

/** Picks `k` ids from `ids` (in join order), seeded by task seed, round and attempt. */
export function selectParticipants(ids: readonly string[], k: number, seed: number, round: number, attempt: number): string[] {
  const rnd = seededRandom((seed * 1_000_003 + round * 7919 + attempt * 104_729) >>> 0)
  const pool = [...ids]
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[pool[i], pool[j]] = [pool[j], pool[i]]
  }
  const chosen = new Set(pool.slice(0, k))
  return ids.filter((id) => chosen.has(id))
}

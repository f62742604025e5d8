import { hashString, seededRandom, shuffled } from '../random'

/**
 * SecAgg+'s communication graph (Bell et al., CCS 2020, §3): instead of every pair of participants
 * sharing a mask, each participant masks with `degree` neighbours on a random Harary graph (the ids in a
 * random cyclic order, each joined to the ⌊degree/2⌋ nearest on either side). Cost per participant grows
 * with the degree, which needs only grow as O(log n) for the same security against a colluding
 * minority and dropouts. The order comes from `seed`, known to everyone once the round's participants
 * are fixed, so the aggregator cannot hand-pick anyone's neighbours. A degree ≥ n − 1 is the complete
 * graph: the original SecAgg of Bonawitz et al.
 */
export function neighbourGraph(ids: readonly string[], degree: number, seed: string): Map<string, string[]> {
  if (new Set(ids).size !== ids.length) throw new RangeError('participant ids in a secure-aggregation round must be distinct')
  if (!(Number.isInteger(degree) && degree >= 1)) throw new RangeError(`the neighbour degree must be a whole number ≥ 1, got ${degree}`)
  const order = shuffled([...ids].sort(), seededRandom(hashString(seed)))
  const n = order.length
  const graph = new Map<string, string[]>()
  if (degree >= n - 1) {
    for (const id of order) graph.set(id, order.filter((o) => o !== id).sort())
    return graph
  }
  const half = Math.max(1, Math.floor(degree / 2))
  order.forEach((id, p) => {
    const near = new Set<string>()
    for (let d = 1; d <= half; d++) {
      near.add(order[(p + d) % n])
      near.add(order[(p - d + n) % n])
    }
    graph.set(id, [...near].sort())
  })
  return graph
}

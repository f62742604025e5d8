import { seededRandom, shuffled } from '../random'
import { gammaSample } from './gamma'

/**
 * How a training set is split among simulated clients (McMahan et al. 2017, section 3; Hsu et al. 2019 for
 * Dirichlet): `iid` shuffles and deals equal parts; `pathological` sorts by label, cuts `clients × shards`
 * equal shards and gives each client `shards` of them at random (the paper: 200 shards of 300, two per
 * client, so most clients see two digits); `dirichlet` gives each client a share of each label drawn from
 * Dirichlet(α) (small α: few labels per client, large α: close to IID).
 */
export type PartitionSpec = { kind: 'iid' } | { kind: 'pathological'; shards: number } | { kind: 'dirichlet'; alpha: number }

/** Example indices 0 … n−1 dealt into `clients` parts of ⌊n/clients⌋ or one more, after a seeded shuffle. */
export function iidPartition(n: number, clients: number, seed: number): number[][] {
  checkClients(n, clients)
  const order = shuffled(range(n), seededRandom(seed))
  return cut(order, clients)
}

/**
 * The paper's pathological non-IID split: indices sorted by label (ties by index), cut into
 * `clients × shardsPerClient` contiguous shards of equal size (sizes differ by at most one when they do
 * not divide n), shards dealt to clients at random, `shardsPerClient` each.
 */
export function pathologicalPartition(labels: ArrayLike<number>, clients: number, shardsPerClient: number, seed: number): number[][] {
  checkClients(labels.length, clients * shardsPerClient)
  const sorted = range(labels.length).sort((a, b) => labels[a] - labels[b] || a - b)
  const shards = cut(sorted, clients * shardsPerClient)
  const order = shuffled(range(shards.length), seededRandom(seed))
  return range(clients).map((c) => order.slice(c * shardsPerClient, (c + 1) * shardsPerClient).flatMap((s) => shards[s]))
}

/**
 * A label-skewed split: for each label, proportions over clients drawn from Dirichlet(alpha) (normalised
 * Gamma(alpha) draws), and that label's shuffled examples cut at the cumulative proportions (rounded).
 * Every example goes to exactly one client; a client may get none.
 */
export function dirichletPartition(labels: ArrayLike<number>, clients: number, alpha: number, seed: number): number[][] {
  checkClients(labels.length, clients)
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new Error(`dirichlet alpha must be a positive number, got ${alpha}`)
  const random = seededRandom(seed)
  const byLabel = new Map<number, number[]>()
  for (let i = 0; i < labels.length; i++) {
    const list = byLabel.get(labels[i]) ?? []
    list.push(i)
    byLabel.set(labels[i], list)
  }
  const parts: number[][] = range(clients).map(() => [])
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const items = shuffled(byLabel.get(label) as number[], random)
    const draws = range(clients).map(() => gammaSample(alpha, random))
    const total = draws.reduce((a, b) => a + b, 0)
    let start = 0
    let cumulative = 0
    for (let c = 0; c < clients; c++) {
      cumulative += draws[c]
      const end = c === clients - 1 ? items.length : Math.round((cumulative / total) * items.length)
      for (let k = start; k < end; k++) parts[c].push(items[k])
      start = Math.max(start, end)
    }
  }
  return parts
}

/** Splits by `spec`; the seed makes the split reproducible. */
export function partition(labels: ArrayLike<number>, clients: number, spec: PartitionSpec, seed: number): number[][] {
  if (spec.kind === 'iid') return iidPartition(labels.length, clients, seed)
  if (spec.kind === 'pathological') return pathologicalPartition(labels, clients, spec.shards, seed)
  return dirichletPartition(labels, clients, spec.alpha, seed)
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

function checkClients(n: number, parts: number): void {
  if (!Number.isInteger(parts) || parts < 1) throw new Error(`the number of clients (and shards) must be a positive integer, got ${parts}`)
  if (parts > n) throw new Error(`cannot split ${n} examples into ${parts} non-empty parts; use fewer clients or more examples`)
}

/** `items` cut into `parts` contiguous pieces whose sizes differ by at most one (larger ones first). */
function cut<T>(items: readonly T[], parts: number): T[][] {
  const base = Math.floor(items.length / parts)
  const extra = items.length % parts
  const out: T[][] = []
  let start = 0
  for (let p = 0; p < parts; p++) {
    const size = base + (p < extra ? 1 : 0)
    out.push(items.slice(start, start + size))
    start += size
  }
  return out
}

import { DEFAULT_ORDERS, epsilonOf, rdpOfStep } from './rdp'

/**
 * A task's privacy spending: the Rényi divergence accumulated at each order over the rounds closed so
 * far. Each round of client-level DP-FedAvg (McMahan et al., ICLR 2018) is one sampled Gaussian step:
 * every participant's update difference clipped to S, noise of standard deviation z·S on their sum,
 * participants sampled at rate q = selected / enrolled. Rounds may differ in q and z; RDP adds up.
 */
export type PrivacyLedger = { readonly orders: readonly number[]; readonly rdp: readonly number[]; readonly rounds: number }

/** A ledger with nothing spent. */
export function emptyLedger(orders: readonly number[] = DEFAULT_ORDERS): PrivacyLedger {
  return { orders, rdp: orders.map(() => 0), rounds: 0 }
}

/** The ledger after one more round at sampling rate q and noise multiplier z. */
export function spend(ledger: PrivacyLedger, q: number, z: number): PrivacyLedger {
  return {
    orders: ledger.orders,
    rdp: ledger.rdp.map((r, k) => r + rdpOfStep(q, z, ledger.orders[k])),
    rounds: ledger.rounds + 1,
  }
}

/** ε spent so far at δ. */
export function epsilonSpent(ledger: PrivacyLedger, delta: number): number {
  return epsilonOf(ledger.rdp, delta, ledger.orders).epsilon
}

/** Whether one more round at (q, z) would take ε past `targetEpsilon`: then the task must end first. */
export function nextRoundExceeds(ledger: PrivacyLedger, q: number, z: number, targetEpsilon: number, delta: number): boolean {
  return epsilonSpent(spend(ledger, q, z), delta) > targetEpsilon
}

/**
 * Differential privacy: the Rényi-DP accountant of the sampled Gaussian mechanism, a task's privacy
 * ledger, and the clipping and cryptographic Gaussian noise of DP-FedAvg.
 */
export { DEFAULT_ORDERS, epsilonOf, noiseMultiplierFor, rdpOfStep, rdpOfSteps } from './rdp'
export { type PrivacyLedger, emptyLedger, epsilonSpent, nextRoundExceeds, spend } from './ledger'
export { addGaussianNoise, clipToNorm, cryptoUniform } from './gaussian'
export { distributedNoiseStd, privatizeUpdate } from './distributed'

/** Differential privacy: the Rényi-DP accountant of the sampled Gaussian mechanism. */
export { DEFAULT_ORDERS, epsilonOf, noiseMultiplierFor, rdpOfStep, rdpOfSteps } from './rdp'

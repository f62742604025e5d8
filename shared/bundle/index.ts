export type { Bundle, BundleConfig, ModelCard, NamedTensor } from './types'

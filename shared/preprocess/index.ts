export type { PreprocessorConfig } from './config'
export { parsePreprocessorConfig } from './parse'
export { outputSize } from './geometry'
export { preprocessBatch, prepareForPrediction, type PreprocessOptions } from './ops'

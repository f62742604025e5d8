export type { PreprocessorConfig } from './config'
export { parsePreprocessorConfig } from './parse'

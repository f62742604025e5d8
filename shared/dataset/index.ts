export { readDataset, ignored, DEFAULT_SEED, DEFAULT_VALIDATION_FRACTION } from './read'
export { checkImages } from './check-images'
export { summarize, summarizeSkipped } from './summarize'
export { minImagesForValidation, splitValidation } from './split'
export { parseJson } from '../json'
export { ANNOTATION_FILE } from './annotation'
export { canonical, countsInTaskSpelling, taskSpelling } from './canonical'
export { GROUP_COLUMNS, ID_COLUMNS, LABEL_COLUMNS, SPLIT_COLUMNS } from './csv'
export { SPLITS } from './types'
export type {
  CheckImagesOptions,
  Dataset,
  DatasetResult,
  DatasetItem,
  DatasetLayout,
  DecodeImage,
  ReadDatasetOptions,
  SkippedFile,
  Split,
} from './types'

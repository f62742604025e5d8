// Evaluation of a model on a labelled split, fastai-style interpretation, ModelArts-layout writers and
// Grad-CAM. Pure and isomorphic: the browser's Evaluate page and `autofed evaluate` both use it.
export type { ConfusedPair, EvaluateProgress, Evaluation, ImagePrediction, PredictionInput } from './types'
export { evaluateModel, type EvaluateOptions } from './run'
export { argMax, mostConfused, predictionOf, summarizePredictions, topLosses } from './metrics'
export {
  ALL_SAMPLES_FILE,
  ANALYSIS_FILE,
  PREDICTIONS_FILE,
  allSamples,
  evaluationFiles,
  modelAnalysisResults,
  predictionsCsv,
  probabilityColumn,
} from './writers'
export { gradCam, lastConvLayer, type GradCamOptions, type Heatmap } from './grad-cam'

// One image in, the model's class probabilities out: what `autofed serve` and the Worker's /api/predict
// run, with the same decoder (shared/decode) and preprocessing (shared/preprocess) as `autofed evaluate`.
export { servedModel, type Classification, type ServedModel } from './served-model'
export { topK, type ClassScore } from './top-k'

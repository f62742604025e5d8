// fastai's learning-rate finder (`lr_find`): an exponential sweep of the learning rate over a few
// mini-batches of a local folder, the smoothed loss curve, and fastai's suggestions. Pure: the
// create page and `autofed lr-find` both use it.
export { DIVERGENCE_FACTOR, LR_FIND_DEFAULTS, lrFind, sweepLr } from './sweep'
export type { LrFindOptions, LrFindResult, LrFindStop } from './sweep'
export { SMOOTHING_BETA, SUGGESTION_NAMES, minimum, smoothLosses, steep, suggest, valley } from './suggest'
export type { LrFindPoint, Suggestion, SuggestionName, Suggestions } from './suggest'

export { chooseBackend, recallChoice } from './choose'
export type { Choice, ChoiceCache, ChooseOptions, Measurement } from './choose'
export { measureTrainingSpeed } from './measure'
export type { MeasureOptions } from './measure'

export { CSV_HEADER, prepareSimulation, simulate, testAccuracy, type RoundRow, type SimulateOptions, type SimulationResult, type SimulationSetup } from './run'
export { preprocessMnist, readMnist, type MnistSet } from './mnist'
export { clientTrainer, Lock, type SharedModel } from './shared-model'
export { progressPrinter } from './progress'

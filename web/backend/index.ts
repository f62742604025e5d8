export { BACKEND_ORDER, describeAdapter, startBackend } from './backends'
export type { BackendInfo } from './backends'
export { Cancelled, MEASURE_BUDGET_MS, TRAINING_BACKENDS, abortMeasurement, gpuDeviceLost, loadBackendOverride, measureSpec, onMeasureProgress, saveBackendOverride, selectTrainingBackend } from './choice'
export type { ComputeInfo, MeasureProgress, MeasureSpec } from './choice'

export { BACKEND_ORDER, describeAdapter, startBackend } from './backends'
export type { BackendInfo } from './backends'
export { Cancelled, TRAINING_BACKENDS, gpuDeviceLost, loadBackendOverride, saveBackendOverride, selectTrainingBackend } from './choice'
export type { ComputeInfo } from './choice'

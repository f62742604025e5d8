import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { chooseBackend, measureTrainingSpeed } from '../../shared/backend'
import type { Measurement } from '../../shared/backend'
import { registerWasmGradKernels } from '../../shared/kernels'
import { loadSetting, saveSetting } from '../store'
import { BACKEND_ORDER, describeAdapter } from './backends'

/** The backends a user may pin on the dashboard, in the order they are measured (ties go to the earlier). */
export const TRAINING_BACKENDS = BACKEND_ORDER

const OVERRIDE_KEY = 'backend-override'
/** Timed training steps per backend (after one untimed warm-up step that compiles shaders). */
const MEASURE_STEPS = 3

/** The compute panel: backend in use, GPU adapter, the figures it was chosen from, and why. */
export type ComputeInfo = {
  backend: string
  adapter: string | null
  reason: string
  /** Images/s of the last training epoch or, before one, of the measurement. */
  imagesPerSecond: number | null
  measurements: Measurement[]
  /** The backend the user pinned, or null when the measured choice is used. */
  override: string | null
}

/** The backend this device's user pinned on the dashboard, or null for the measured choice. */
export async function loadBackendOverride(): Promise<string | null> {
  const v = await loadSetting(OVERRIDE_KEY)
  return typeof v === 'string' && (TRAINING_BACKENDS as readonly string[]).includes(v) ? v : null
}

/** Pins a backend for every task on this device (null: measure and pick the fastest). */
export async function saveBackendOverride(backend: string | null): Promise<void> {
  await saveSetting(OVERRIDE_KEY, backend ?? undefined)
}

/** Thrown out of a measurement when the session was stopped meanwhile (the user changed the override). */
export class Cancelled extends Error {
  constructor() {
    super('cancelled')
    this.name = 'Cancelled'
  }
}

/**
 * Picks the backend to train the task's model on by timing a few training steps on each backend
 * this browser has (webgpu, webgl, wasm with our gradient kernels, cpu), unless the user pinned one;
 * the choice is cached in IndexedDB per device and model. Leaves tfjs on the chosen backend.
 */
export async function selectTrainingBackend(o: {
  build: () => Promise<LayersModel>
  inputShape: number[]
  numClasses: number
  batchSize: number
  /** Identifies the model (bundle, parameter count, labels, batch size): a choice for one says little about another. */
  modelKey: string
  cancelled?: () => boolean
  /** Called before each backend is measured, for the UI. */
  onMeasure?: (backend: string) => void
}): Promise<ComputeInfo> {
  registerWasmGradKernels()
  const { adapter, problem } = await describeAdapter()
  const override = await loadBackendOverride()
  const choice = await chooseBackend({
    candidates: [...TRAINING_BACKENDS],
    override: override ?? undefined,
    deviceKey: `${navigator.userAgent}|${adapter ?? 'no WebGPU adapter'}|${navigator.hardwareConcurrency}|${o.modelKey}`,
    // Figures cut short by a cancellation are not a measurement of this device: keep them out of the cache.
    cache: { get: loadSetting, set: (key, value) => (o.cancelled?.() ? undefined : saveSetting(key, value)) },
    measure: async (backend) => {
      if (o.cancelled?.()) throw new Cancelled()
      if (backend === 'webgpu' && problem) throw new Error(problem)
      o.onMeasure?.(backend)
      return measureTrainingSpeed(backend, o.build, o.inputShape, o.numClasses, { steps: MEASURE_STEPS, batchSize: o.batchSize })
    },
  })
  if (o.cancelled?.()) throw new Cancelled()
  if (!(await tf.setBackend(choice.backend))) {
    throw new Error(`the ${choice.backend} backend does not start in this browser${override ? ': pick another one under Compute' : ''}`)
  }
  await tf.ready()
  const measured = choice.measurements.find((m) => m.backend === choice.backend && m.error === undefined)
  return { backend: choice.backend, adapter, reason: choice.reason, imagesPerSecond: measured?.imagesPerSecond ?? null, measurements: choice.measurements, override }
}

/**
 * Resolves with the reason when the WebGPU device of the current tfjs backend is lost (a GPU reset,
 * a driver crash, the browser reclaiming it); null at once when tfjs is not on WebGPU.
 */
export async function gpuDeviceLost(): Promise<string | null> {
  // tfjs-backend-webgpu keeps its GPUDevice as `device`; only `lost` is read, typed here for that.
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device
  if (tf.getBackend() !== 'webgpu' || !device?.lost) return null
  const info = await device.lost
  return [info.reason, info.message].filter((p) => p).join(': ') || 'no reason given'
}

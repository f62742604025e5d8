import type { Problem, Result } from '../problems'
import type { ScheduleName } from './schedule'

/** The training options of `config.json` (README, Formats), with defaults filled in. */
export type TrainingOptions = {
  learningRate: number
  epochs: number
  batchSize: number
  optimizer: 'sgd' | 'adam'
  momentum: number
  nesterov: boolean
  weightDecay: number
  /** true: decay weights directly (SGDW/AdamW); false: add weightDecay·w to the gradient (L2, PyTorch's default). */
  decoupledWeightDecay: boolean
  beta1: number
  beta2: number
  epsilon: number
  schedule: ScheduleName
  warmupEpochs: number
  minLearningRate: number
  pctStart: number
  divFactor: number
  finalDivFactor: number
  /** Local fine-tuning: epochs without a better validation accuracy before stopping. */
  patience: number
}

export const DEFAULT_TRAINING: TrainingOptions = {
  learningRate: 0.01,
  epochs: 10,
  batchSize: 32,
  optimizer: 'sgd',
  momentum: 0,
  nesterov: false,
  weightDecay: 0,
  decoupledWeightDecay: false,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  schedule: 'constant',
  warmupEpochs: 0,
  minLearningRate: 0,
  pctStart: 0.3,
  divFactor: 25,
  finalDivFactor: 1e4,
  patience: 10,
}

const FILE = 'config.json'

/**
 * Reads the training options from a bundle's `config.json` (snake_case keys as in the seeds:
 * `learning_rate`, `optimizer`, `momentum`, `nesterov`, `weight_decay`, `schedule`, `warmup_epochs`, …),
 * reporting every invalid value at once.
 */
export function trainingOptions(config: Record<string, unknown>): Result<TrainingOptions> {
  const problems: Problem[] = []
  const out: TrainingOptions = { ...DEFAULT_TRAINING }

  const num = (key: string, test: (v: number) => boolean, what: string): number | undefined => {
    const v = config[key]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) {
      problems.push({ file: FILE, field: key, message: `must be ${what} (got ${JSON.stringify(v)})` })
      return undefined
    }
    return v
  }
  const bool = (key: string): boolean | undefined => {
    const v = config[key]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'boolean') {
      problems.push({ file: FILE, field: key, message: `must be true or false (got ${JSON.stringify(v)})` })
      return undefined
    }
    return v
  }
  const choice = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
    const v = config[key]
    if (v === undefined || v === null) return undefined
    const s = typeof v === 'string' ? v.toLowerCase() : v
    if (typeof s !== 'string' || !(allowed as readonly string[]).includes(s)) {
      problems.push({ file: FILE, field: key, message: `must be one of ${allowed.map((a) => `"${a}"`).join(', ')} (got ${JSON.stringify(v)})` })
      return undefined
    }
    return s as T
  }

  const positive = (v: number) => v > 0
  const nonNegative = (v: number) => v >= 0
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0
  const fraction = (v: number) => v >= 0 && v < 1

  out.learningRate = num('learning_rate', positive, 'a positive number') ?? out.learningRate
  out.epochs = num('epochs', positiveInt, 'a positive integer') ?? out.epochs
  out.batchSize = num('batch_size', positiveInt, 'a positive integer') ?? out.batchSize
  out.optimizer = choice('optimizer', ['sgd', 'adam'] as const) ?? out.optimizer
  out.momentum = num('momentum', fraction, 'a number in [0, 1)') ?? out.momentum
  out.nesterov = bool('nesterov') ?? out.nesterov
  out.weightDecay = num('weight_decay', nonNegative, 'a number ≥ 0') ?? out.weightDecay
  out.decoupledWeightDecay = bool('decoupled_weight_decay') ?? out.decoupledWeightDecay
  out.beta1 = num('beta1', fraction, 'a number in [0, 1)') ?? out.beta1
  out.beta2 = num('beta2', fraction, 'a number in [0, 1)') ?? out.beta2
  out.epsilon = num('epsilon', positive, 'a positive number') ?? out.epsilon
  out.schedule = choice('schedule', ['constant', 'cosine', 'one-cycle'] as const) ?? out.schedule
  out.warmupEpochs = num('warmup_epochs', nonNegative, 'a number ≥ 0') ?? out.warmupEpochs
  out.minLearningRate = num('min_lr', nonNegative, 'a number ≥ 0') ?? out.minLearningRate
  out.pctStart = num('pct_start', (v) => v > 0 && v < 1, 'a number in (0, 1)') ?? out.pctStart
  out.divFactor = num('div_factor', positive, 'a positive number') ?? out.divFactor
  out.finalDivFactor = num('final_div_factor', positive, 'a positive number') ?? out.finalDivFactor
  out.patience = num('patience', positiveInt, 'a positive integer') ?? out.patience

  if (out.nesterov && out.optimizer === 'sgd' && out.momentum === 0 && config.nesterov !== undefined) {
    problems.push({ file: FILE, field: 'nesterov', message: 'needs momentum > 0 (set "momentum", for example 0.9)' })
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: out }
}

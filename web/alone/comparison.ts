// Pure pieces of the train-alone comparison: the figures kept per task and how they compare.
import type { Evaluation } from '../../shared/evaluate'

/** A model's test figures on the participant's own test split. */
export type SplitFigures = { accuracy: number; correct: number; examples: number; loss: number }

/**
 * What the results page shows side by side: the model trained alone on this browser's folder and the
 * task's best (federated) model, both evaluated here with shared/evaluate on the same test split.
 */
export type AloneComparison = {
  taskId: string
  /** The data folder's name, as the join page kept it. */
  folder: string
  trainedAt: number
  backend: string
  /** Epochs trained (the bundle's `epochs`, fewer when stopped early) and the one whose weights were kept. */
  epochs: number
  bestEpoch: number
  local: SplitFigures
  federated: SplitFigures & { version: number }
  /** The library id of the model trained alone. */
  modelId: string
}

/** The figures of an evaluation: accuracy with its count, as `autofed evaluate` prints them. */
export function figuresOf(e: Evaluation): SplitFigures {
  const correct = e.confusion.reduce((s, row, i) => s + row[i], 0)
  return { accuracy: e.accuracy, correct, examples: e.examples, loss: e.loss }
}

/** Accuracy points federation gained (negative: lost) over training alone, on the same split. */
export function federationGain(c: AloneComparison): number {
  return 100 * (c.federated.accuracy - c.local.accuracy)
}

const isFigures = (v: unknown): v is SplitFigures => {
  const f = v as Partial<SplitFigures> | null
  return !!f && typeof f.accuracy === 'number' && typeof f.correct === 'number' && typeof f.examples === 'number' && typeof f.loss === 'number'
}

/** A comparison read back from IndexedDB, or null when the value is not one (an older or damaged record). */
export function asComparison(v: unknown): AloneComparison | null {
  const c = v as Partial<AloneComparison> | null
  if (!c || typeof c.taskId !== 'string' || typeof c.folder !== 'string' || typeof c.trainedAt !== 'number' || typeof c.modelId !== 'string') return null
  if (!isFigures(c.local) || !isFigures(c.federated) || typeof c.federated.version !== 'number') return null
  return c as AloneComparison
}

/** The library id of the model a task's participant trained alone (one per task: training again replaces it). */
export function aloneModelId(taskId: string): string {
  return `alone:${taskId}`
}

import { foldValuesMeasured, foldValuesSaving, restoreSum, type RunningSum } from '../../shared/fedavg'

/**
 * The fold lock taken by an upload that folds into the running sum while it arrives. Whatever it folded
 * is undone exactly (from the saved values) when the upload fails or when anyone else asks for the lock;
 * the upload then goes on as one that folds after arriving.
 */
export class SumHold {
  /** Folding chunks as they arrive; false once it stepped aside or kept the fold. */
  folding = true
  /** Parameters [0, folded) of the sum hold this upload's values. */
  private folded = 0
  release: () => void = () => {}

  constructor(
    readonly sum: RunningSum,
    private readonly saved: Float64Array,
  ) {}

  /** Folds checked values; false for NaN/Inf (the upload is then rejected and stepAside undoes the range). */
  fold(offset: number, values: Float32Array, weight: number): boolean {
    const ok = foldValuesSaving(this.sum, offset, values, weight, this.saved)
    this.folded = offset + values.length
    return ok
  }

  /** fold that also returns the values' squared distance from `base` over the range (NaN for NaN/Inf), from the same pass. */
  foldMeasured(offset: number, values: Float32Array, weight: number, base: Float32Array): number {
    const squared = foldValuesMeasured(this.sum, offset, values, weight, this.saved, base)
    this.folded = offset + values.length
    return squared
  }

  /** Undoes the fold and releases the lock; nothing once the fold is kept. */
  stepAside(): void {
    if (!this.folding) return
    this.folding = false
    this.undo()
    this.release()
  }

  /** The whole update is valid and stored: stop offering to step aside; the lock is held until `done`. */
  keep(): void {
    this.folding = false
  }

  /** Restores the values the sum had before this upload's fold. */
  undo(): void {
    restoreSum(this.sum, this.saved, this.folded)
    this.folded = 0
  }

  /** Releases the lock after a kept fold. */
  done(): void {
    this.release()
  }
}

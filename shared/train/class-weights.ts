/**
 * scikit-learn's `class_weight="balanced"`: label c weighs n / (k · n_c), with n the training images, n_c those
 * of label c and k the labels that have any. So each present label carries the same total weight, and the mean
 * weight over the images is 1 (the loss keeps its scale). A label without images gets weight 1: it never occurs.
 */
export function balancedClassWeights(counts: readonly number[]): number[] {
  const n = counts.reduce((s, c) => s + c, 0)
  const k = counts.filter((c) => c > 0).length
  return counts.map((c) => (c > 0 ? n / (k * c) : 1))
}

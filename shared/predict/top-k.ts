/** One class, its index in the model's output and its probability. */
export type ClassScore = { label: string; index: number; probability: number }

/** The k most probable classes, best first, each with its class index (the sort is stable: ties keep the lower index first). */
export function topK(probabilities: readonly number[], labels: readonly string[], k: number): ClassScore[] {
  return probabilities
    .map((probability, index) => ({ label: labels[index] ?? String(index), index, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k)
}

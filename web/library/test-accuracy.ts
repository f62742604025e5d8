/**
 * The test accuracy of a task's result (TaskView `result`, edge/API.md), or null before the test phase ended or when
 * no participant had test images. Never the best validation accuracy: the model library shows this figure as
 * "Test accuracy".
 */
export function testAccuracyOf(result: unknown): number | null {
  const accuracy = (result as { accuracy?: unknown } | null | undefined)?.accuracy
  return typeof accuracy === 'number' && Number.isFinite(accuracy) ? accuracy : null
}

import { downloadName } from './download-name'
import type { RoundMetrics, TaskView } from '../../shared/wire'

/** The columns of the round history CSV, in order. */
export const HISTORY_COLUMNS = ['round', 'attempt', 'contributors', 'examples', 'validation_accuracy', 'validation_loss', 'test_accuracy', 'test_loss', 'improved', 'closed_at', 'epsilon'] as const

/**
 * The rounds to chart and export: round 0 (version 0, before training; edge/API.md "Round 0") first when there
 * is one, then `history`. The task's final test (`result`, on the best version) is that version's round's test
 * when the round had none of its own: a round is tested during training only every log_rounds rounds.
 */
export function roundRows(task: Pick<TaskView, 'history' | 'initial'> & { result?: TaskView['result'] } | null): RoundMetrics[] {
  if (!task) return []
  // `initial` is absent from views of aggregators older than round 0.
  const rows = task.initial ? [task.initial, ...task.history] : task.history
  const result = task.result
  if (!result) return rows
  return rows.map((h) => (h.round === result.version && h.test === null ? { ...h, test: result } : h))
}

const cell = (x: number | null | undefined): string => (x === null || x === undefined ? '' : String(x))

/** The round history as CSV (one row per round, round 0 included; empty cells for what a round did not measure; `epsilon`: ε spent after the round under differential privacy). */
export function historyCsv(task: Pick<TaskView, 'history' | 'initial'> & { result?: TaskView['result'] }): string {
  const lines = [HISTORY_COLUMNS.join(',')]
  for (const h of roundRows(task)) {
    lines.push(
      [h.round, h.attempt, h.contributors, h.examples, cell(h.validation?.accuracy), cell(h.validation?.loss), cell(h.test?.accuracy), cell(h.test?.loss), h.improved, new Date(h.closedAt).toISOString(), cell(h.epsilon)].join(','),
    )
  }
  return `${lines.join('\n')}\n`
}

/** Downloads the round history CSV, built in the browser from the task view. */
export function downloadHistoryCsv(task: Pick<TaskView, 'history' | 'initial' | 'name' | 'id' | 'result'>): void {
  const url = URL.createObjectURL(new Blob([historyCsv(task)], { type: 'text/csv' }))
  const a = document.createElement('a')
  a.href = url
  a.download = downloadName(task.name || task.id, '-rounds.csv')
  a.click()
  URL.revokeObjectURL(url)
}

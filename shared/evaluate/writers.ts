// Deep import by file path: see shared/dataset/papaparse.d.ts (keeps Node's types out of shared/).
import Papa from 'papaparse/papaparse.js'
import { mostConfused } from './metrics'
import type { Evaluation } from './types'

export const PREDICTIONS_FILE = 'predictions.csv'
export const ANALYSIS_FILE = 'model_analysis_results.json'
export const ALL_SAMPLES_FILE = 'all_samples.json'

/** ModelArts' task type for an image classifier (analyse's `task_type`). */
const TASK_TYPE = 'image_classification'

/** Column of the probability of `label` in predictions.csv. */
export const probabilityColumn = (label: string): string => `prob_${label}`

/**
 * The per-image table as CSV (RFC 4180 quoting by papaparse; cells starting with = + - @ are
 * prefixed with ' so a spreadsheet does not run them): path, true_label, predicted_label,
 * probability, true_probability, loss, correct, then prob_<label> for every label.
 */
export function predictionsCsv(e: Evaluation): string {
  const fields = ['path', 'true_label', 'predicted_label', 'probability', 'true_probability', 'loss', 'correct', ...e.labels.map(probabilityColumn)]
  const data = e.images.map((im) => [
    im.path,
    e.labels[im.truth],
    e.labels[im.predicted],
    im.probability,
    im.truthProbability,
    im.loss,
    im.truth === im.predicted ? 1 : 0,
    ...im.probabilities,
  ])
  return Papa.unparse({ fields, data }, { newline: '\r\n', escapeFormulae: true }) + '\r\n'
}

/** analyse's `label_map_dict`: label index (as a string) → label name. */
function labelMap(labels: readonly string[]): Record<string, string> {
  return Object.fromEntries(labels.map((l, i) => [String(i), l]))
}

/** model_analysis_results.json: the metrics of ModelArts' evaluation for an image classifier (fields in shared/evaluate/README.md). */
export function modelAnalysisResults(e: Evaluation, extra: { model?: string; data?: string; split?: string } = {}): Record<string, unknown> {
  const macro = (key: 'precision' | 'recall' | 'f1') => (e.classes.length === 0 ? 0 : e.classes.reduce((s, c) => s + c[key], 0) / e.classes.length)
  return {
    task_type: TASK_TYPE,
    ...(extra.model !== undefined && { model: extra.model }),
    ...(extra.data !== undefined && { data: extra.data }),
    ...(extra.split !== undefined && { split: extra.split }),
    label_map_dict: labelMap(e.labels),
    sample_count: e.examples,
    skipped_count: e.skipped.length,
    accuracy: e.accuracy,
    loss: Number.isNaN(e.loss) ? null : e.loss,
    macro_precision: macro('precision'),
    macro_recall: macro('recall'),
    macro_f1_score: macro('f1'),
    per_class: e.classes.map((c, i) => ({ label_index: i, label: c.label, precision: c.precision, recall: c.recall, f1_score: c.f1, support: c.support })),
    confusion_matrix: e.confusion,
    most_confused: mostConfused(e.confusion, e.labels).map((p) => ({ actual: p.actual, predicted: p.predicted, count: p.count })),
  }
}

/**
 * all_samples.json: the arguments of ModelArts' `analyse()` for these images — parallel lists
 * name_list (paths), label_list (true label indices), pred_list (probability vectors) — plus
 * task_type and label_map_dict, so `analyse(**json.load(f))` reproduces ModelArts' own evaluation.
 */
export function allSamples(e: Evaluation): Record<string, unknown> {
  return {
    task_type: TASK_TYPE,
    label_map_dict: labelMap(e.labels),
    name_list: e.images.map((im) => im.path),
    label_list: e.images.map((im) => im.truth),
    pred_list: e.images.map((im) => Array.from(im.probabilities)),
    pred_label_list: e.images.map((im) => im.predicted),
  }
}

/** The three output files (predictions.csv, model_analysis_results.json, all_samples.json) as path → bytes. */
export function evaluationFiles(e: Evaluation, extra: { model?: string; data?: string; split?: string } = {}): Map<string, Uint8Array> {
  const enc = new TextEncoder()
  const json = (v: unknown) => enc.encode(JSON.stringify(v, null, 2) + '\n')
  return new Map([
    [PREDICTIONS_FILE, enc.encode(predictionsCsv(e))],
    [ANALYSIS_FILE, json(modelAnalysisResults(e, extra))],
    [ALL_SAMPLES_FILE, json(allSamples(e))],
  ])
}

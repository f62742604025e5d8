/**
 * Text as Unicode compares it: canonically equivalent spellings are one (NFC). macOS has long written file
 * names decomposed ("é" as e + U+0301, Hangul syllables as their jamo), while the same word typed into a CSV,
 * an annotation file or a bundle's config is composed: the bytes differ, the label or file is the same.
 */
export function canonical(text: string): string {
  return text.normalize('NFC')
}

/**
 * Spells each label as the task does when the two are the same text, so a folder written on macOS matches a
 * task created elsewhere; a label the task does not have stays as found (composed), to be reported.
 */
export function taskSpelling(taskLabels: readonly string[]): (label: string) => string {
  const byText = new Map<string, string>()
  for (const l of taskLabels) if (!byText.has(canonical(l))) byText.set(canonical(l), l)
  return (label) => (taskLabels.includes(label) ? label : byText.get(canonical(label)) ?? label)
}

/** Images of one label per split, as a join declares them. */
type SplitCounts = { train: number; validation: number; test: number }

/**
 * Per-label counts keyed by the task's spelling of each label (taskSpelling), two spellings of one label added
 * up: what the aggregator records at a join, what the join page sends, what class weights are computed from.
 */
export function countsInTaskSpelling(counts: Readonly<Record<string, SplitCounts>>, taskLabels: readonly string[]): Record<string, SplitCounts> {
  const spell = taskSpelling(taskLabels)
  const out: Record<string, SplitCounts> = {}
  for (const [label, c] of Object.entries(counts)) {
    const key = spell(label)
    const had = out[key]
    out[key] = had ? { train: had.train + c.train, validation: had.validation + c.validation, test: had.test + c.test } : { ...c }
  }
  return out
}

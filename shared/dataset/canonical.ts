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

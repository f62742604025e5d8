/*
 * A line format is English text with `{name}` slots (the placeholder syntax of the web app's string tables,
 * so a format doubles as the English entry of the table). The same format fills a line and, compiled, reads
 * one back.
 */

/** What a slot may hold; its pattern is what the parser accepts there. */
export type SlotKind = 'int' | 'number' | 'word' | 'path' | 'text'

/** The slot names of a format, as a type: `Slots<'round {round}: {why}'>` is `'round' | 'why'`. */
export type Slots<F extends string> = F extends `${string}{${infer S}}${infer Rest}` ? S | Slots<Rest> : never

/** What a builder fills a format with: numbers as they print (`String`), strings as given. */
export type SlotValues<F extends string> = { [S in Slots<F>]: string | number }

/**
 * Patterns without nested quantifiers, so a line is read in time linear in its length. An `int` is canonical
 * and at most 15 digits: read back as a number it prints the same digits. A `number` is what `String`,
 * `toFixed` and `toPrecision` print, kept as text so nothing is rounded again. At most one `text` slot per
 * format (formats.test.ts checks): two could split a line in quadratically many ways.
 */
const PATTERNS: Record<SlotKind, string> = {
  int: '0|[1-9]\\d{0,14}',
  number: '-?\\d+(?:\\.\\d+)?(?:e[+-]\\d+)?|-?Infinity|NaN',
  word: '[\\w-]+',
  path: '[^()\\s]+',
  text: '[\\s\\S]*',
}

const SLOT = /\{(\w+)\}/g

/** Fills a format's slots; a slot without a value stays as written. */
export function fillTemplate(format: string, values: Readonly<Record<string, string | number>>): string {
  return format.replace(SLOT, (m, name: string) => (name in values ? String(values[name]) : m))
}

/** The slot names of a format in order of appearance, repeats included. */
export function slotsOf(format: string): string[] {
  return [...format.matchAll(SLOT)].map((m) => m[1] as string)
}

const escapeRegExp = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')

/** An anchored regular expression that matches exactly the lines `format` fills, one named group per slot. */
export function compileTemplate(format: string, kindOf: (slot: string) => SlotKind): RegExp {
  const seen = new Set<string>()
  let source = ''
  let at = 0
  for (const m of format.matchAll(SLOT)) {
    const name = m[1] as string
    source += escapeRegExp(format.slice(at, m.index))
    // A slot written twice must hold the same value both times.
    source += seen.has(name) ? `\\k<${name}>` : `(?<${name}>${PATTERNS[kindOf(name)]})`
    seen.add(name)
    at = m.index + m[0].length
  }
  return new RegExp(`^${source}${escapeRegExp(format.slice(at))}$`)
}

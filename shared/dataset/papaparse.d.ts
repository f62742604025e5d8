// The subset of papaparse used here. Imported by its file path so @types/papaparse, which pulls in
// Node's types, stays out of the pure shared/ type check.
declare module 'papaparse/papaparse.js' {
  export type ParseError = { type: string; code: string; message: string; row?: number; /** The character offset in the input where the error was found. */ index?: number }
  export type ParseResult = { data: Record<string, string | undefined>[]; errors: ParseError[]; meta: { fields?: string[] } }
  const Papa: {
    parse(
      input: string,
      config: { header: true; skipEmptyLines: boolean | 'greedy'; transformHeader?: (header: string) => string },
    ): ParseResult
    /** Writes CSV (used by shared/evaluate's predictions.csv). */
    unparse(
      input: { fields: string[]; data: unknown[][] },
      config?: { newline?: string; escapeFormulae?: boolean | RegExp; quotes?: boolean },
    ): string
  }
  export default Papa
}

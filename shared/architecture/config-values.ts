import type { Problem } from '../problems'

const FILE = 'config.json'

/** Reads architecture keys of config.json, collecting a problem per bad key instead of stopping at the first. */
export class ConfigReader {
  readonly problems: Problem[] = []

  constructor(private readonly config: Record<string, unknown>) {}

  /** Records a problem with `key`. */
  problem(key: string, message: string): void {
    this.problems.push({ file: FILE, field: key, message })
  }

  /** A list of `length` positive integers (any length, none included, when `length` is null), or `fallback` when absent. */
  intList(key: string, length: number | null, fallback: number[], what: string): number[] {
    const value = this.config[key]
    if (value === undefined) return fallback
    const ok = Array.isArray(value) && (length === null || value.length === length) && value.every((v) => Number.isInteger(v) && v > 0)
    if (!ok) {
      this.problem(key, `must be ${what}`)
      return fallback
    }
    return value as number[]
  }

  /** A number passing `valid`, or `fallback` when absent. */
  number(key: string, fallback: number, valid: (v: number) => boolean, what: string): number {
    const v = this.config[key]
    if (v === undefined || v === null) return fallback
    if (typeof v !== 'number' || !valid(v)) {
      this.problem(key, `must be ${what}`)
      return fallback
    }
    return v
  }
}

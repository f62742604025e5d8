import { didYouMean, likelyMeant } from '../../shared/problems'

/** parseArgs's "Unknown option '--epoch'" with the option of `usage` it most likely meant (`--epochs`). */
export function unknownOption(err: Error, usage: string): string {
  const given = /Unknown option '-{1,2}([^']+)'/.exec(err.message)?.[1]
  // Its first sentence only: the rest is about positional arguments, which is rarely what was meant.
  const first = err.message.split(/(?<=')\. /)[0]
  if (!given) return first
  const options = [...new Set([...usage.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]))]
  return `${first}${didYouMean(likelyMeant(given, options), (n) => `--${n}`)}`
}

/** The message for an error of node:util parseArgs (with the option likely meant), or null for any other error. */
export function parseArgsMessage(err: unknown, usage: string): string | null {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return unknownOption(err as Error, usage)
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return (err as Error).message
  return null
}

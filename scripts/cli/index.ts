import { ProblemError, didYouMean, formatProblem, likelyMeant } from '../../shared/problems'

/** One `autofed` subcommand: gets its arguments, returns the exit code. */
export type Command = { usage: string; run(args: string[]): Promise<number> }

const COMMANDS: Record<string, () => Promise<Command>> = {
  'inspect bundle': async () => (await import('./inspect-bundle')).inspectBundle,
  'inspect data': async () => (await import('./inspect-data')).inspectData,
  participate: async () => (await import('./participate')).participateCommand,
  evaluate: async () => (await import('./evaluate')).evaluateCommand,
  train: async () => (await import('./train')).trainCommand,
  'lr-find': async () => (await import('./lr-find')).lrFindCommand,
  serve: async () => (await import('./serve')).serveCommand,
  simulate: async () => (await import('./simulate')).simulateCommand,
}

function usage(): string {
  return ['usage:', ...Object.entries(COMMANDS).map(([name]) => `  autofed ${name} …`), '`autofed <command> --help` prints its options.'].join('\n')
}

/** parseArgs's "Unknown option '--epoch'" with the options of the usage it most likely meant (`--epochs`). */
function unknownOption(err: Error, usage: string): string {
  const given = /Unknown option '-{1,2}([^']+)'/.exec(err.message)?.[1]
  // Its first sentence only: the rest is about positional arguments, which is rarely what was meant.
  const first = err.message.split(/(?<=')\. /)[0]
  if (!given) return first
  const options = [...new Set([...usage.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]))]
  return `${first}${didYouMean(likelyMeant(given, options), (n) => `--${n}`)}`
}

const wantsHelp = (args: string[]) => args.some((a) => a === '--help' || a === '-h')

/** Runs the command line; never prints a stack trace for user errors. */
export async function main(argv: string[]): Promise<number> {
  const name = Object.keys(COMMANDS).find((k) => argv.slice(0, k.split(' ').length).join(' ') === k)
  if (!name) {
    const asked = argv.length === 0 || wantsHelp(argv.slice(0, 1))
    ;(asked ? console.log : console.error)(usage())
    return asked ? 0 : 2
  }
  try {
    const command = await COMMANDS[name]()
    const args = argv.slice(name.split(' ').length)
    if (wantsHelp(args)) {
      console.log(`usage: ${command.usage}`)
      return 0
    }
    try {
      return await command.run(args)
    } catch (err) {
      // node:util parseArgs: a misspelt option, an argument where options are expected or an option without its
      // value gets the command's options with it.
      const code = (err as { code?: unknown }).code
      if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new Error(`${unknownOption(err as Error, command.usage)}\nusage: ${command.usage}`)
      if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new Error(`${(err as Error).message}\nusage: ${command.usage}`)
      throw err
    }
  } catch (err) {
    if (err instanceof ProblemError) {
      for (const p of err.problems) console.error(formatProblem(p))
    } else {
      console.error(`autofed ${name}: ${err instanceof Error ? err.message : String(err)}`)
    }
    return 1
  }
}

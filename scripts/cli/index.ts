import { ProblemError, didYouMean, formatProblem, likelyMeant } from '../../shared/problems'
import { parseArgsMessage } from './unknown-option'

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

const wantsHelp = (args: string[]) => args.some((a) => a === '--help' || a === '-h')

/** Runs the command line; never prints a stack trace for user errors. */
export async function main(argv: string[]): Promise<number> {
  const name = Object.keys(COMMANDS).find((k) => argv.slice(0, k.split(' ').length).join(' ') === k)
  if (!name) {
    const asked = argv.length === 0 || wantsHelp(argv.slice(0, 1))
    if (asked) {
      console.log(usage())
      return 0
    }
    // A two-word command is matched as two words ("inspect dta" → inspect data).
    const given = argv[0] === 'inspect' && argv[1] !== undefined ? argv.slice(0, 2).join(' ') : argv[0]
    console.error(`autofed: unknown command "${given}"${didYouMean(likelyMeant(given, Object.keys(COMMANDS)), (n) => n)}\n${usage()}`)
    return 2
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
      const message = parseArgsMessage(err, command.usage)
      throw message === null ? err : new Error(`${message}\nusage: ${command.usage}`)
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

import { ProblemError, formatProblem } from '../../shared/problems'

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
  return ['usage:', ...Object.entries(COMMANDS).map(([name]) => `  autofed ${name} …`)].join('\n')
}

/** Runs the command line; never prints a stack trace for user errors. */
export async function main(argv: string[]): Promise<number> {
  const name = Object.keys(COMMANDS).find((k) => argv.slice(0, k.split(' ').length).join(' ') === k)
  if (!name) {
    console.error(usage())
    return argv.length === 0 || argv[0] === '--help' ? 0 : 2
  }
  try {
    const command = await COMMANDS[name]()
    return await command.run(argv.slice(name.split(' ').length))
  } catch (err) {
    if (err instanceof ProblemError) {
      for (const p of err.problems) console.error(formatProblem(p))
    } else {
      console.error(`autofed ${name}: ${err instanceof Error ? err.message : String(err)}`)
    }
    return 1
  }
}

#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx autofed` works from a fresh clone without a build step.
import { register } from 'tsx/esm/api'

// `autofed … | head` closes the pipe before the output ends: stop quietly, as a Unix tool stopped by SIGPIPE does,
// instead of an unhandled EPIPE with its stack trace.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

register()
const { main } = await import('../scripts/cli/index.ts')
process.exitCode = await main(process.argv.slice(2))

#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx autofed` works from a fresh clone without a build step.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../scripts/cli/index.ts')
process.exitCode = await main(process.argv.slice(2))

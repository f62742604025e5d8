import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { main } from './index'

describe('autofed (the command line)', () => {
  afterEach(() => vi.restoreAllMocks())

  const run = async (argv: string[]) => {
    const out: string[] = []
    const err: string[] = []
    vi.spyOn(console, 'log').mockImplementation((s: unknown) => void out.push(String(s)))
    vi.spyOn(console, 'error').mockImplementation((s: unknown) => void err.push(String(s)))
    const code = await main(argv)
    return { code, out: out.join('\n'), err: err.join('\n') }
  }

  it('prints a command’s options for --help or -h, and the commands with no argument', async () => {
    const help = await run(['train', '--help'])
    expect(help).toMatchObject({ code: 0, err: '' })
    expect(help.out).toMatch(/^usage: autofed train --bundle <dir\|zip> --data <dir> --out /)
    expect((await run(['inspect', 'data', '-h'])).out).toMatch(/^usage: autofed inspect data /)
    const all = await run([])
    expect(all.code).toBe(0)
    expect(all.out).toContain('  autofed simulate …')
    expect(all.out).toContain('`autofed <command> --help` prints its options.')
  })

  it('answers a misspelt option with the command’s options, and an unknown command with the list (exit 2)', async () => {
    const bad = await run(['train', '--epoch', '3'])
    expect(bad.code).toBe(1)
    expect(bad.err).toBe("autofed train: Unknown option '--epoch' (did you mean --epochs?)\nusage: autofed train --bundle <dir|zip> --data <dir> --out <dir|file.zip> [--epochs N] [--seed S] [--backend wasm|cpu] [--cache-mb N]")
    expect((await run(['simulate', '--client', '3'])).err).toMatch(/^autofed simulate: Unknown option '--client' \(did you mean --clients\?\)\nusage: autofed simulate /)
    expect((await run(['train', '--frobnicate'])).err).toMatch(/^autofed train: Unknown option '--frobnicate'\nusage: /)
    expect((await run(['participate', 'http://127.0.0.1:1'])).err).toMatch(/^autofed participate: Unexpected argument 'http:\/\/127\.0\.0\.1:1'.*\nusage: autofed participate --server URL /)
    const unknown = await run(['trian'])
    expect(unknown.code).toBe(2)
    expect(unknown.err.split('\n').slice(0, 2)).toEqual(['autofed: unknown command "trian" (did you mean train?)', 'usage:'])
    expect(unknown.err).toContain('  autofed train …')
    expect((await run(['foo', '--x'])).err.split('\n')[0]).toBe('autofed: unknown command "foo"')
    expect((await run(['inspect', 'dta', 'dir'])).err.split('\n')[0]).toBe('autofed: unknown command "inspect dta" (did you mean inspect data?)')
  })

  it('inspect data answers a misspelt option and a bad value like the other commands, naming the option (exit 2)', async () => {
    const usage = 'usage: autofed inspect data <dir> [--json] [--labels a,b,c] [--seed N] [--validation-fraction F] [--headers-only]'
    expect(await run(['inspect', 'data', 'dir', '--jsn'])).toEqual({ code: 2, out: '', err: `autofed inspect data: Unknown option '--jsn' (did you mean --json?)\n${usage}` })
    expect(await run(['inspect', 'data', 'dir', '--validation-fraction', '2'])).toEqual({ code: 2, out: '', err: `autofed inspect data: --validation-fraction must be at least 0 and below 1, got "2"\n${usage}` })
    expect(await run(['inspect', 'data', 'dir', '--seed', '1.5'])).toEqual({ code: 2, out: '', err: `autofed inspect data: --seed must be an integer, got "1.5"\n${usage}` })
  })

  it('ends quietly when the reader of its output has gone (`autofed … | head`): no EPIPE stack trace', async () => {
    const child = spawn(process.execPath, ['bin/autofed.mjs'], { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] })
    // Closed before the CLI has started, so its first line already meets a closed pipe.
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
  })
})


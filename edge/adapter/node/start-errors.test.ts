import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exited, kill, launch } from './process.case'
import { dataFolderError, listenError, parsePort, parsePublicUrl } from './start-errors'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('start-up settings', () => {
  it('takes PORT as a whole number from 0 to 65535, 8787 when unset', () => {
    expect([parsePort(undefined), parsePort(''), parsePort('0'), parsePort('65535'), parsePort('8790')]).toEqual([8787, 8787, 0, 65535, 8790])
    for (const bad of ['abc', '-5', '65536', '80.5', '0x']) expect(parsePort(bad)).toBe(`PORT=${bad} is not a port number; set PORT to a whole number from 0 to 65535 (0 picks a free port), or unset it for 8787`)
  })

  it('takes PUBLIC_URL as an origin, null when unset', () => {
    expect([parsePublicUrl(undefined), parsePublicUrl(' '), parsePublicUrl('https://fl.example.org'), parsePublicUrl('https://FL.example.org:8443/'), parsePublicUrl('http://10.0.0.5:8787')]).toEqual([
      null,
      null,
      { origin: 'https://fl.example.org' },
      { origin: 'https://fl.example.org:8443' },
      { origin: 'http://10.0.0.5:8787' },
    ])
    for (const bad of ['fl.example.org', 'https://fl.example.org/autofed', 'https://fl.example.org/?a=1', 'ftp://fl.example.org', 'https://user:pw@fl.example.org']) {
      expect(parsePublicUrl(bad)).toBe(`PUBLIC_URL=${bad} is not an address participants can open; set it to the scheme and host they open, e.g. https://fl.example.org (a port if not the default, no path), or unset it`)
    }
  })

  it('words the listen and data-folder errors it knows, and no other', () => {
    expect(listenError({ code: 'EADDRINUSE' }, '127.0.0.1', 8787)).toBe('port 8787 on 127.0.0.1 is in use (another program, or another autofed); stop it or set PORT to another port')
    expect(listenError({ code: 'EACCES' }, '0.0.0.0', 80)).toBe('port 80 on 0.0.0.0 needs privileges this user does not have; set PORT to a port above 1023')
    expect(listenError(new Error('other'), '127.0.0.1', 1)).toBeNull()
    expect(dataFolderError({ code: 'EACCES' }, '/srv/fed')).toBe('the data folder /srv/fed cannot be written (EACCES); set AUTOFED_DATA to a folder this user may write')
    expect(dataFolderError({ code: 'ENOSPC' }, '/srv/fed')).toBe('the data folder /srv/fed cannot be written: the disk is full; free space or set AUTOFED_DATA to a folder on another disk')
    expect(dataFolderError({ code: 'EIO' }, '/srv/fed')).toBeNull()
  })
})

/** What `npm start` printed before exiting, with these settings (a rejection of launch: it never listened). */
async function refusal(env: Record<string, string>, dataDir?: string): Promise<string> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'autofed-start-')))
  dirs.push(dir)
  const started = launch(dir, join(dir, 'no-bundles'), 'start-secret', { AUTOFED_NO_DEFAULT_TASK: '1', ...env })
  const proc = await started.then((p) => p, (e: Error) => e.message)
  if (typeof proc !== 'string') {
    proc.child.kill('SIGKILL')
    throw new Error(`it started on ${proc.url}`)
  }
  return proc
}

describe('npm start refuses settings that cannot work with one line, no stack trace', () => {
  it('a port in use', async () => {
    const busy: Server = createServer()
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
    const port = (busy.address() as AddressInfo).port
    try {
      expect(await refusal({ PORT: String(port) })).toBe(`aggregator exited with 1 before listening:\n\nautofed: port ${port} on 127.0.0.1 is in use (another program, or another autofed); stop it or set PORT to another port\n`)
    } finally {
      busy.close()
    }
  })

  it('a PORT that is not a number', async () => {
    expect(await refusal({ PORT: 'abc' })).toBe('aggregator exited with 1 before listening:\n\nautofed: PORT=abc is not a port number; set PORT to a whole number from 0 to 65535 (0 picks a free port), or unset it for 8787\n')
  })

  it('a HOST that is not an address of this machine', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never a local address.
    expect(await refusal({ HOST: '192.0.2.7' })).toBe('aggregator exited with 1 before listening:\n\nautofed: HOST=192.0.2.7 is not an address of this machine; set HOST to 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)\n')
  })

  it('a certificate without its key, and a key that is not the certificate\'s', async () => {
    const fixtures = join(import.meta.dirname, 'fixtures')
    expect(await refusal({ TLS_CERT: join(fixtures, 'test-cert.pem') })).toBe('aggregator exited with 1 before listening:\n\nautofed: TLS_CERT is set but TLS_KEY is not; set both (PEM files of the certificate and of its private key) to serve HTTPS, or neither to serve plain HTTP\n')
    const [cert, key] = [join(fixtures, 'test-cert.pem'), join(fixtures, 'other-key.pem')]
    expect(await refusal({ TLS_CERT: cert, TLS_KEY: key })).toBe(`aggregator exited with 1 before listening:\n\nautofed: TLS_KEY=${key} is not the private key of the certificate in TLS_CERT=${cert}; set TLS_KEY to the key the certificate was made for\n`)
  })

  it('an AUTOFED_DATA that is a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autofed-start-'))
    dirs.push(dir)
    const file = join(dir, 'a-file')
    await writeFile(file, 'x')
    expect(await refusal({}, file)).toBe(`aggregator exited with 1 before listening:\n\nautofed: the data folder ${file} cannot be made: a file is in the way; set AUTOFED_DATA to a folder (it is created if missing)\n`)
  })
})

describe('npm start beyond loopback', () => {
  it('warns once, before its links, that plain HTTP gives other machines an insecure page', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autofed-start-'))
    dirs.push(dir)
    const started = await launch(dir, join(dir, 'no-bundles'), 'start-secret', { AUTOFED_NO_DEFAULT_TASK: '1', HOST: '0.0.0.0' })
    // Read once it has ended: stderr is another pipe, which may lag the URL line on stdout.
    await kill(started.child)
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(started.stderr()).toBe(
      'autofed: warning: HOST=0.0.0.0 serves plain HTTP to other machines: their browsers then give the page no WebGPU, no WASM threads and no WebCrypto (training on one CPU thread, no secure aggregation); set TLS_CERT and TLS_KEY to serve HTTPS, or put an HTTPS proxy in front\n',
    )
  })
})

describe('npm start behind a public address', () => {
  it('prints its links on PUBLIC_URL, and warns of the plain hop from the proxy when it listens beyond loopback', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autofed-start-'))
    dirs.push(dir)
    const started = await launch(dir, join(dir, 'no-bundles'), 'start-secret', { AUTOFED_NO_DEFAULT_TASK: '1', HOST: '0.0.0.0', PUBLIC_URL: 'https://fl.example.org/' })
    await started.printed(/create a task: .*\n/)
    await kill(started.child)
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(started.stdout()).toBe(`autofed aggregator: ${started.url}\npublic address:     https://fl.example.org\ncreate a task:      https://fl.example.org/create#token=start-secret\n`)
    expect(started.stderr()).toBe(
      'autofed: warning: HOST=0.0.0.0 takes plain HTTP from other machines: the hop from the HTTPS proxy of PUBLIC_URL=https://fl.example.org to this port carries tokens and model updates unencrypted; run the proxy on this machine and leave HOST on 127.0.0.1, or set TLS_CERT and TLS_KEY\n',
    )
  })

  it('refuses a PUBLIC_URL with a path', async () => {
    expect(await refusal({ PUBLIC_URL: 'https://fl.example.org/autofed' })).toBe('aggregator exited with 1 before listening:\n\nautofed: PUBLIC_URL=https://fl.example.org/autofed is not an address participants can open; set it to the scheme and host they open, e.g. https://fl.example.org (a port if not the default, no path), or unset it\n')
  })
})

describe('npm start without a reader of its output', () => {
  it('keeps serving when its output pipe is closed (`npm start | head`), with no EPIPE stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autofed-start-'))
    dirs.push(dir)
    // A free port, known before the start: the URL line it prints is not read here.
    const probe: Server = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const child = spawn(process.execPath, ['--import', 'tsx', 'edge/adapter/node/main.ts'], {
      env: { ...process.env, PORT: String(port), AUTOFED_DATA: join(dir, 'data'), AUTOFED_BUNDLES: join(dir, 'no-bundles'), AUTOFED_INITIATOR_TOKEN: 'pipe-secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // Closed before it starts: its first line (the URL) already meets a closed pipe.
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    const ended = exited(child)
    try {
      // Answered once it listens; each answer (or refused connection) before the process ends is a retry.
      let answer: { status: number; body: unknown } | null = null
      let gone = false
      void ended.then(() => (gone = true))
      while (!answer && !gone) {
        answer = await fetch(`http://127.0.0.1:${port}/api/health`).then(async (r) => ({ status: r.status, body: await r.json() }), () => null)
        if (!answer) await new Promise((r) => setTimeout(r, 100))
      }
      expect({ answer, stderr }).toEqual({ answer: { status: 200, body: { ok: true, runtime: 'node' } }, stderr: '' })
      // Logging more (a task created writes to the log) does not end it either.
      const created = await fetch(`http://127.0.0.1:${port}/api/tasks`, {
        method: 'POST',
        headers: { authorization: 'Bearer pipe-secret', 'content-type': 'application/json' },
        body: JSON.stringify({ bundle: 'nope' }),
      })
      expect(created.status).toBeGreaterThanOrEqual(400)
      expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200)
      expect(child.exitCode).toBeNull()
    } finally {
      await kill(child)
    }
  })
})

import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readTls, servingWarnings, type TlsFiles } from './tls'

const FIXTURES = join(import.meta.dirname, 'fixtures')
const CERT = join(FIXTURES, 'test-cert.pem')
const KEY = join(FIXTURES, 'test-key.pem')
const OTHER_KEY = join(FIXTURES, 'other-key.pem')

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'autofed-tls-'))
  dirs.push(dir)
  await writeFile(join(dir, name), text)
  return join(dir, name)
}

describe('readTls', () => {
  it('is null without TLS_CERT and TLS_KEY (empty counts as unset), and the checked pair with both', () => {
    expect(readTls({})).toBeNull()
    expect(readTls({ cert: '', key: '' })).toBeNull()
    const tls = readTls({ cert: CERT, key: KEY }) as TlsFiles
    expect(tls.cert.toString()).toMatch(/^-----BEGIN CERTIFICATE-----/)
    expect(tls.key.toString()).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    expect(tls.validTo.getUTCFullYear()).toBe(2126)
  })

  it('names the variable and what to do for each file that cannot serve', async () => {
    expect(readTls({ cert: CERT })).toBe('TLS_CERT is set but TLS_KEY is not; set both (PEM files of the certificate and of its private key) to serve HTTPS, or neither to serve plain HTTP')
    expect(readTls({ key: KEY })).toBe('TLS_KEY is set but TLS_CERT is not; set both (PEM files of the certificate and of its private key) to serve HTTPS, or neither to serve plain HTTP')
    expect(readTls({ cert: '/no/such.pem', key: KEY })).toBe('TLS_CERT=/no/such.pem cannot be read (ENOENT); set TLS_CERT to the PEM file of the certificate')
    expect(readTls({ cert: CERT, key: FIXTURES })).toBe(`TLS_KEY=${FIXTURES} cannot be read (EISDIR); set TLS_KEY to the PEM file of the certificate's private key`)
    // The key given as the certificate: a common slip when both sit in one folder.
    expect(readTls({ cert: KEY, key: KEY })).toMatch(new RegExp(`^TLS_CERT=${KEY} is not a PEM certificate \\(.*\\); set TLS_CERT to a file that starts with -----BEGIN CERTIFICATE-----$`))
    const junk = await file('junk.pem', 'not a key\n')
    expect(readTls({ cert: CERT, key: junk })).toMatch(new RegExp(`^TLS_KEY=${junk} is not a PEM private key \\(.*\\); set TLS_KEY to a file that starts with -----BEGIN PRIVATE KEY-----`))
    expect(readTls({ cert: CERT, key: OTHER_KEY })).toBe(`TLS_KEY=${OTHER_KEY} is not the private key of the certificate in TLS_CERT=${CERT}; set TLS_KEY to the key the certificate was made for`)
  })

  it('says so of a key encrypted with a passphrase, which a server started unattended cannot type', async () => {
    // The fixture key encrypted with AES-256 and the passphrase "x".
    const pem = createPrivateKey(readFileSync(KEY)).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' })
    const encrypted = await file('enc.pem', pem.toString())
    expect(readTls({ cert: CERT, key: encrypted })).toBe(`TLS_KEY=${encrypted} is encrypted with a passphrase; write it without one (openssl pkey -in ${encrypted} -out key.pem) and keep that file readable by this user only`)
  })
})

describe('servingWarnings', () => {
  const tls = (validTo: string): TlsFiles => ({ cert: Buffer.alloc(0), key: Buffer.alloc(0), validTo: new Date(validTo) })
  const now = new Date('2026-12-04T00:00:00Z')

  it('warns of plain HTTP beyond loopback only', () => {
    expect(servingWarnings('127.0.0.1', null, now)).toEqual([])
    expect(servingWarnings('127.0.0.2', null, now)).toEqual([])
    expect(servingWarnings('::1', null, now)).toEqual([])
    expect(servingWarnings('localhost', null, now)).toEqual([])
    expect(servingWarnings('0.0.0.0', null, now)).toEqual([
      'HOST=0.0.0.0 serves plain HTTP to other machines: their browsers then give the page no WebGPU, no WASM threads and no WebCrypto (training on one CPU thread, no secure aggregation); set TLS_CERT and TLS_KEY to serve HTTPS, or put an HTTPS proxy in front',
    ])
    expect(servingWarnings('0.0.0.0', tls('2027-12-04T00:00:00Z'), now)).toEqual([])
  })

  it('warns of a certificate that expired or expires within 14 days', () => {
    expect(servingWarnings('0.0.0.0', tls('2026-12-01T00:00:00Z'), now)).toEqual(['the certificate in TLS_CERT expired on 2026-12-01: browsers and clients will refuse the connection; renew it'])
    expect(servingWarnings('127.0.0.1', tls('2026-12-14T12:00:00Z'), now)).toEqual(['the certificate in TLS_CERT expires on 2026-12-14, in 10 days; renew it'])
    expect(servingWarnings('127.0.0.1', tls('2026-12-19T00:00:00Z'), now)).toEqual([])
  })
})

// HTTPS for `npm start`: browsers give WebGPU, WASM threads, WebCrypto and the folder picker only to secure
// pages, so participants on other machines need the aggregator over HTTPS. TLS_CERT and TLS_KEY name PEM
// files; they are read and checked as a pair before listening, so a wrong file stops the start with one line.
import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { createSecureContext } from 'node:tls'

/** A certificate (PEM, the chain after it if any) and its private key, checked to belong together. */
export type TlsFiles = { cert: Buffer; key: Buffer; /** When the certificate stops being valid. */ validTo: Date }

type Read = { ok: true; bytes: Buffer } | { ok: false; message: string }

function read(variable: string, path: string, what: string): Read {
  try {
    return { ok: true, bytes: readFileSync(path) }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    return { ok: false, message: `${variable}=${path} cannot be read (${code}); set ${variable} to the PEM file of ${what}` }
  }
}

/**
 * TLS_CERT and TLS_KEY read and checked: null when neither is set (plain HTTP), the files when both are and
 * they serve, else a sentence naming the variable and what to do.
 */
export function readTls(env: { TLS_CERT?: string; TLS_KEY?: string }): TlsFiles | null | string {
  const certPath = env.TLS_CERT || undefined
  const keyPath = env.TLS_KEY || undefined
  if (!certPath && !keyPath) return null
  if (!certPath || !keyPath) {
    const [set, unset] = certPath ? ['TLS_CERT', 'TLS_KEY'] : ['TLS_KEY', 'TLS_CERT']
    return `${set} is set but ${unset} is not; set both (PEM files of the certificate and of its private key) to serve HTTPS, or neither to serve plain HTTP`
  }
  const cert = read('TLS_CERT', certPath, 'the certificate')
  if (!cert.ok) return cert.message
  const key = read('TLS_KEY', keyPath, "the certificate's private key")
  if (!key.ok) return key.message
  let validTo: Date
  try {
    validTo = new Date(new X509Certificate(cert.bytes).validTo)
  } catch (err) {
    return `TLS_CERT=${certPath} is not a PEM certificate (${(err as Error).message}); set TLS_CERT to a file that starts with -----BEGIN CERTIFICATE-----`
  }
  try {
    createSecureContext({ key: key.bytes })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_OSSL_BAD_DECRYPT') return `TLS_KEY=${keyPath} is encrypted with a passphrase; write it without one (openssl pkey -in ${keyPath} -out key.pem) and keep that file readable by this user only`
    return `TLS_KEY=${keyPath} is not a PEM private key (${(err as Error).message}); set TLS_KEY to a file that starts with -----BEGIN PRIVATE KEY----- (or EC/RSA PRIVATE KEY)`
  }
  try {
    createSecureContext({ cert: cert.bytes, key: key.bytes })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') return `TLS_KEY=${keyPath} is not the private key of the certificate in TLS_CERT=${certPath}; set TLS_KEY to the key the certificate was made for`
    return `TLS_CERT=${certPath} and TLS_KEY=${keyPath} cannot serve HTTPS together (${(err as Error).message})`
  }
  return { cert: cert.bytes, key: key.bytes, validTo }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

/**
 * What `npm start` warns of before serving, one line each: plain HTTP to other machines (their pages are not
 * secure contexts), a certificate that has expired or expires within 14 days.
 */
export function servingWarnings(host: string, tls: TlsFiles | null, now: Date = new Date()): string[] {
  const out: string[] = []
  if (!tls && !LOOPBACK.has(host) && !host.startsWith('127.')) {
    out.push(
      `HOST=${host} serves plain HTTP to other machines: their browsers then give the page no WebGPU, no WASM threads and no WebCrypto (training on one CPU thread, no secure aggregation); set TLS_CERT and TLS_KEY to serve HTTPS, or put an HTTPS proxy in front`,
    )
  }
  if (tls) {
    const days = (tls.validTo.getTime() - now.getTime()) / 86_400_000
    if (days < 0) out.push(`the certificate in TLS_CERT expired on ${tls.validTo.toISOString().slice(0, 10)}: browsers will refuse the page; renew it`)
    else if (days < 14) out.push(`the certificate in TLS_CERT expires on ${tls.validTo.toISOString().slice(0, 10)}, in ${Math.floor(days)} days; renew it`)
  }
  return out
}

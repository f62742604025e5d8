// HTTPS for `npm start`: browsers give WebGPU, WASM threads, WebCrypto and the folder picker only to secure
// pages, so participants on other machines need the aggregator over HTTPS. TLS_CERT and TLS_KEY name PEM
// files; they are read and checked as a pair before listening, so a wrong file stops the start with one line.
import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { createServer as createHttpsServer } from 'node:https'
import { createSecureContext } from 'node:tls'

/** A certificate (PEM, the chain after it if any) and its private key, checked to belong together. */
export type TlsFiles = { cert: Buffer; key: Buffer; /** When the certificate stops being valid. */ validTo: Date }

type Read = { ok: true; bytes: Buffer } | { ok: false; message: string }

/** How the two settings are named in messages: environment variables of `npm start`, or options of a command. */
export type TlsNames = { cert: string; key: string; /** A setting with its value, as the user wrote it. */ shown(name: string, path: string): string; /** Past participle and imperative: "set"/"set", "given"/"give". */ given: string; give: string }

/** `npm start`'s TLS_CERT and TLS_KEY. */
export const TLS_ENV: TlsNames = { cert: 'TLS_CERT', key: 'TLS_KEY', shown: (name, path) => `${name}=${path}`, given: 'set', give: 'set' }

function read(names: TlsNames, name: string, path: string, what: string): Read {
  try {
    return { ok: true, bytes: readFileSync(path) }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    return { ok: false, message: `${names.shown(name, path)} cannot be read (${code}); ${names.give} ${name} to the PEM file of ${what}` }
  }
}

/**
 * The certificate and key files read and checked: null when neither is named (plain HTTP), the files when both
 * are and they serve, else a sentence naming the setting and what to do.
 */
export function readTls(paths: { cert?: string; key?: string }, names: TlsNames = TLS_ENV): TlsFiles | null | string {
  const certPath = paths.cert || undefined
  const keyPath = paths.key || undefined
  if (!certPath && !keyPath) return null
  if (!certPath || !keyPath) {
    const [named, missing] = certPath ? [names.cert, names.key] : [names.key, names.cert]
    return `${named} is ${names.given} but ${missing} is not; ${names.give} both (PEM files of the certificate and of its private key) to serve HTTPS, or neither to serve plain HTTP`
  }
  const cert = read(names, names.cert, certPath, 'the certificate')
  if (!cert.ok) return cert.message
  const key = read(names, names.key, keyPath, "the certificate's private key")
  if (!key.ok) return key.message
  const [certShown, keyShown] = [names.shown(names.cert, certPath), names.shown(names.key, keyPath)]
  let validTo: Date
  try {
    validTo = new Date(new X509Certificate(cert.bytes).validTo)
  } catch (err) {
    return `${certShown} is not a PEM certificate (${(err as Error).message}); ${names.give} ${names.cert} to a file that starts with -----BEGIN CERTIFICATE-----`
  }
  try {
    createSecureContext({ key: key.bytes })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_OSSL_BAD_DECRYPT') return `${keyShown} is encrypted with a passphrase; write it without one (openssl pkey -in ${keyPath} -out key.pem) and keep that file readable by this user only`
    return `${keyShown} is not a PEM private key (${(err as Error).message}); ${names.give} ${names.key} to a file that starts with -----BEGIN PRIVATE KEY----- (or EC/RSA PRIVATE KEY)`
  }
  try {
    createSecureContext({ cert: cert.bytes, key: key.bytes })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') return `${keyShown} is not the private key of the certificate in ${certShown}; ${names.give} ${names.key} to the key the certificate was made for`
    return `${certShown} and ${keyShown} cannot serve HTTPS together (${(err as Error).message})`
  }
  return { cert: cert.bytes, key: key.bytes, validTo }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

/** True for a host only this machine reaches. */
export function loopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.')
}

/** A warning for a certificate that has expired or expires within 14 days, naming the setting it came from; else null. */
export function certificateWarning(tls: TlsFiles, setting: string, now: Date = new Date()): string | null {
  const days = (tls.validTo.getTime() - now.getTime()) / 86_400_000
  const day = tls.validTo.toISOString().slice(0, 10)
  if (days < 0) return `the certificate in ${setting} expired on ${day}: browsers and clients will refuse the connection; renew it`
  if (days < 14) return `the certificate in ${setting} expires on ${day}, in ${Math.floor(days)} days; renew it`
  return null
}

/**
 * What `npm start` warns of before serving, one line each: plain HTTP to other machines (their pages are not
 * secure contexts), a certificate that has expired or expires soon.
 */
export function servingWarnings(host: string, tls: TlsFiles | null, now: Date = new Date(), publicOrigin: string | null = null): string[] {
  if (!tls) {
    if (loopbackHost(host)) return []
    // An HTTPS proxy in front (PUBLIC_URL): the pages are secure, but its hop to this port is not.
    if (publicOrigin?.startsWith('https://')) return [`HOST=${host} takes plain HTTP from other machines: the hop from the HTTPS proxy of PUBLIC_URL=${publicOrigin} to this port carries tokens and model updates unencrypted; run the proxy on this machine and leave HOST on 127.0.0.1, or set TLS_CERT and TLS_KEY`]
    return [
      `HOST=${host} serves plain HTTP to other machines: their browsers then give the page no WebGPU, no WASM threads and no WebCrypto (training on one CPU thread, no secure aggregation); set TLS_CERT and TLS_KEY to serve HTTPS, or put an HTTPS proxy in front`,
    ]
  }
  const expiry = certificateWarning(tls, 'TLS_CERT', now)
  return expiry ? [expiry] : []
}

/** What @hono/node-server's `serve` takes to listen over HTTPS with these files; nothing for plain HTTP. */
export function httpsServing(tls: { cert: Buffer; key: Buffer } | undefined) {
  return tls ? { createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } } : {}
}

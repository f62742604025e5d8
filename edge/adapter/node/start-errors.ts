// What `npm start` says instead of a stack trace when its settings cannot work: one line naming the
// setting (an environment variable) and what to do.

/** PORT as a number, or the line refusing it: a whole number from 0 (a free port) to 65535. */
export function parsePort(value: string | undefined): number | string {
  if (value === undefined || value.trim() === '') return 8787
  const port = Number(value)
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return port
  return `PORT=${value} is not a port number; set PORT to a whole number from 0 to 65535 (0 picks a free port), or unset it for 8787`
}

/**
 * PUBLIC_URL as an origin (`https://fl.example.org`), null when unset, or the line refusing it: the address
 * participants open, when it is not where the aggregator listens (a proxy in front, a name for 0.0.0.0).
 */
export function parsePublicUrl(value: string | undefined): { origin: string } | null | string {
  if (value === undefined || value.trim() === '') return null
  const refusal = `PUBLIC_URL=${value} is not an address participants can open; set it to the scheme and host they open, e.g. https://fl.example.org (a port if not the default, no path), or unset it`
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    return refusal
  }
  // The app is served at the root of its origin: a path would make every printed link wrong.
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname !== '/' || url.search || url.hash || url.username || url.password) return refusal
  return { origin: url.origin }
}

/** The line for a failed creation of the data folder (AUTOFED_DATA), or null for an error it does not know. */
export function dataFolderError(err: unknown, dataDir: string): string | null {
  const code = (err as { code?: unknown }).code
  if (code === 'EEXIST' || code === 'ENOTDIR') return `the data folder ${dataDir} cannot be made: a file is in the way; set AUTOFED_DATA to a folder (it is created if missing)`
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `the data folder ${dataDir} cannot be written (${code}); set AUTOFED_DATA to a folder this user may write`
  if (code === 'ENOSPC') return `the data folder ${dataDir} cannot be written: the disk is full; free space or set AUTOFED_DATA to a folder on another disk`
  return null
}

/** The line for a failed listen on HOST:PORT, or null for an error it does not know. */
export function listenError(err: unknown, host: string, port: number): string | null {
  const code = (err as { code?: unknown }).code
  if (code === 'EADDRINUSE') return `port ${port} on ${host} is in use (another program, or another autofed); stop it or set PORT to another port`
  if (code === 'EACCES') return `port ${port} on ${host} needs privileges this user does not have; set PORT to a port above 1023`
  if (code === 'EADDRNOTAVAIL') return `HOST=${host} is not an address of this machine; set HOST to 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `HOST=${host} is not a name this machine can resolve; set HOST to 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`
  return null
}

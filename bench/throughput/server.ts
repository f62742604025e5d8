import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import path from 'node:path'

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' }

/**
 * Serves the built bench page, the tfjs wasm binaries under /wasm/ and the bundle's backbone under
 * /bundle/, with the cross-origin isolation headers that let the wasm backend use threads.
 * Listens on 127.0.0.1 only, on a free port.
 */
export async function serveBench(pageDir: string, wasmDir: string, bundleDir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    let file: string
    if (url.pathname.startsWith('/wasm/')) file = path.join(wasmDir, path.basename(url.pathname))
    else if (url.pathname.startsWith('/bundle/')) file = path.join(bundleDir, path.basename(url.pathname))
    else file = path.join(pageDir, path.normalize(url.pathname === '/' ? '/index.html' : url.pathname))
    if (!file.startsWith(pageDir) && !file.startsWith(wasmDir) && !file.startsWith(bundleDir)) file = ''
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('bench server has no port')
  return { url: `http://127.0.0.1:${address.port}/`, server }
}

import http from 'node:http'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.map': 'application/json' }

/**
 * Serves a built dist/ folder with the aggregator's COOP/COEP headers and SPA fallback, for the pages
 * that need no aggregator (folder validation, bad input, predict offline). `/api/*` answers 503, as an
 * unreachable aggregator would.
 */
export async function serveDist(dir: string): Promise<{ url: string; close(): void }> {
  const server = http.createServer(async (req, res) => {
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
    if (path.startsWith('/api/')) {
      res.writeHead(503, { ...headers, 'content-type': 'application/json' })
      return res.end(JSON.stringify({ error: 'the aggregator is offline' }))
    }
    for (const file of [join(dir, path), join(dir, 'index.html')]) {
      try {
        const body = await readFile(file)
        res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
        return res.end(body)
      } catch {
        // Not a file: fall through to index.html (client-side routing).
      }
    }
    res.writeHead(404, headers)
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() }
}

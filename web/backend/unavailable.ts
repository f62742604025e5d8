/*
 * Why a backend cannot run in this browser. The measurement keeps the reason as an English sentence (it is a
 * measurement's `error`, cached in IndexedDB with the figures), so the pages read the sentence back into its
 * code to word it in their own language (web/ui/backend-reason.ts). Free of tfjs, so the page's tests load it.
 */

/** A reason a backend is unavailable, with the browser's own words where it gave some. */
export type Unavailable =
  | { code: 'insecure-context' }
  | { code: 'no-webgpu' }
  | { code: 'no-adapter' }
  | { code: 'adapter-failed'; params: { error: string } }
  | { code: 'not-isolated' }
  | { code: 'no-shared-array-buffer' }

const FIXED = {
  'insecure-context':
    'the page is not a secure context (it was opened over plain HTTP from another machine): browsers give WebGPU and threads only to pages served over HTTPS or from localhost',
  'no-webgpu': 'this browser has no WebGPU (navigator.gpu is missing)',
  'no-adapter': 'WebGPU found no GPU adapter',
  'not-isolated':
    'the page is not cross-origin isolated (its server must send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)',
  'no-shared-array-buffer': 'this browser has no SharedArrayBuffer',
} as const satisfies Record<Exclude<Unavailable['code'], 'adapter-failed'>, string>

const ADAPTER_FAILED = 'WebGPU adapter request failed: '

/** The reason in English, as the measurement keeps it. */
export function unavailableText(u: Unavailable): string {
  return u.code === 'adapter-failed' ? `${ADAPTER_FAILED}${u.params.error}` : FIXED[u.code]
}

/** The reason an English sentence of unavailableText's gives; null for any other text (a backend's own error). */
export function readUnavailable(text: string): Unavailable | null {
  if (text.startsWith(ADAPTER_FAILED)) return { code: 'adapter-failed', params: { error: text.slice(ADAPTER_FAILED.length) } }
  for (const [code, sentence] of Object.entries(FIXED) as Array<[keyof typeof FIXED, string]>) {
    if (text === sentence) return { code }
  }
  return null
}

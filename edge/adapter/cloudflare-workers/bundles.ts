import { parseBundle, unzipBundle } from '../../../shared/bundle'
import type { BundleInfo } from '../../../shared/wire'
import type { BuiltinBundles } from '../../app'
import { BUNDLES_DIR, BUNDLES_INDEX } from './assets-layout'

// Any origin: the ASSETS binding looks only at the path.
const BASE = `https://assets.invalid/${BUNDLES_DIR}/`

/**
 * The built-in bundles, read from the Worker's static assets (written by `assets.ts` at build time).
 * Assets rather than modules of the Worker: a bundle's weights (6.6 MB for mnist-cnn) barely compress
 * and would not fit the Worker size limit (3 MB compressed on Workers Free), while one asset may be
 * 25 MiB. A zip is parsed only when a task is created from it.
 */
export function assetBundles(assets: Fetcher | undefined): BuiltinBundles {
  let index: Promise<BundleInfo[]> | null = null
  const list = () =>
    (index ??= (async () => {
      if (!assets) return []
      const res = await assets.fetch(BASE + BUNDLES_INDEX)
      // A missing file answers the single-page app's index.html, so the type tells whether the list exists.
      if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return []
      return (await res.json()) as BundleInfo[]
    })())
  return {
    list,
    async get(id) {
      if (!assets || !(await list()).some((b) => b.id === id)) return null
      const res = await assets.fetch(`${BASE}${encodeURIComponent(id)}.zip`)
      if (!res.ok) return null
      const zip = new Uint8Array(await res.arrayBuffer())
      const files = unzipBundle(zip)
      const bundle = files.ok ? parseBundle(files.value) : null
      if (!bundle?.ok) throw new Error(`built-in bundle ${id} in the static assets does not parse; rebuild them (npm run dev:worker or npm run deploy)`)
      return { bundle: bundle.value, zip }
    },
  }
}

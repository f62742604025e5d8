/**
 * Where the Worker finds the built-in bundles among its static assets. The build step
 * (`assets.ts`, Node) writes them; the Worker (`bundles.ts`) reads them through the ASSETS binding.
 */
export const BUNDLES_DIR = '_bundles'
/** The list of bundles (BundleInfo[]) beside one `<id>.zip` per bundle. */
export const BUNDLES_INDEX = 'index.json'

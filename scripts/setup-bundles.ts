// Runs at `npm install` (postinstall) and on first start: writes the parts of the default bundles that are
// generated rather than committed (large weight files), so a fresh clone needs no download.
const STEPS: Array<[string, () => Promise<{ run(): Promise<string> }>]> = [
  ['mnist-cnn', async () => import('./bundles/mnist-cnn')],
  // After the weights: the topology is built from the bundle.
  ['mnist-cnn', async () => import('./bundles/mnist-cnn-topology')],
  ['mnist-2nn', async () => import('./bundles/mnist-2nn')],
  ['mnist-2nn', async () => {
    const [{ run }, { BUNDLE_DIR }] = await Promise.all([import('./bundles/mnist-cnn-topology'), import('./bundles/mnist-2nn')])
    return { run: () => run(BUNDLE_DIR) }
  }],
  ['mobilenet-v2', async () => import('./bundles/mobilenet-v2')],
]

let failed = 0
for (const [name, load] of STEPS) {
  try {
    const step = await load()
    console.log(`bundles/${name}: ${await step.run()}`)
  } catch (err) {
    failed++
    console.error(`bundles/${name}: setup failed: ${err instanceof Error ? err.message : String(err)}`)
  }
}
process.exitCode = failed > 0 ? 1 : 0

// A module, so top-level await type-checks.
export {}

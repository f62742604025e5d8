// Threads in the browser (issue 13): the FedAvg paper CNN trained in headless Chromium on tfjs's
// single-threaded SIMD wasm build and on its threaded SIMD build (one thread per logical core), against
// PyTorch-CPU on 2 threads, in alternation within one run, so the ratios compare like with like on a
// machine whose load moves. Batch 32, SGD, random data (measureTrainingSpeed, as bench/train-throughput.ts).
// Usage: npx tsx bench/wasm-threads.ts [--rounds N] [--steps S] [--write]
import os from 'node:os'
import { parseArgs } from 'node:util'
import { BATCH_SIZE } from './throughput/models'
import { CHROMIUM, CHROMIUM_FLAGS, openBenchPage } from './throughput/browser'
import { writeBenchSection } from './throughput/section'
import { runTorchReference } from './throughput/torch'
import { median } from './median'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, steps: { type: 'string', default: '20' }, write: { type: 'boolean', default: false } } })
const ROUNDS = Number(values.rounds)
const STEPS = Number(values.steps)
/** One CNN step of batch 32 takes well under 2 s even on a loaded 2-core machine; a dead worker never ends one. */
const RUN_TIMEOUT_MS = STEPS * 30_000

type Round = { round: number; order: string; torch: number; wasm: number; threads: number; threadsDetail: string; wasmDetail: string }

const page = await openBenchPage()
if ('problem' in page) throw new Error(page.problem)
const rounds: Round[] = []
let torchNote = ''
const loadBefore = os.loadavg()
try {
  for (let r = 1; r <= ROUNDS; r++) {
    // Alternate which wasm build goes first, so a drift in load does not favour one.
    const builds = r % 2 ? ['wasm', 'wasm-threads'] : ['wasm-threads', 'wasm']
    const figures: Record<string, { imagesPerSecond: number; detail: string }> = {}
    for (const b of builds) figures[b] = await page.run('cnn', b, STEPS, RUN_TIMEOUT_MS)
    const torch = runTorchReference(['cnn'], BATCH_SIZE)
    if (!torch.ok) throw new Error(torch.problem)
    torchNote = `torch ${torch.torch}, ${torch.threads} threads (${torch.python})`
    const round: Round = {
      round: r,
      order: `${builds.join(', ')}, PyTorch`,
      torch: torch.imagesPerSecond.cnn ?? NaN,
      wasm: figures.wasm.imagesPerSecond,
      threads: figures['wasm-threads'].imagesPerSecond,
      wasmDetail: figures.wasm.detail,
      threadsDetail: figures['wasm-threads'].detail,
    }
    rounds.push(round)
    console.log(`round ${r}: wasm ${round.wasm.toFixed(1)}, wasm-threads ${round.threads.toFixed(1)} (${round.threadsDetail}), PyTorch ${round.torch.toFixed(1)} images/s; load ${os.loadavg()[0].toFixed(1)}`)
  }
} finally {
  await page.close()
}

const fmt = (x: number) => x.toFixed(1)
const ratio = (a: number, b: number) => (a / b).toFixed(2)
const lines = [
  '## Threads in the browser: threaded wasm against one thread and PyTorch-CPU',
  '',
  `Measured by \`npx tsx bench/wasm-threads.ts ${process.argv.slice(2).join(' ')}\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} before and ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} after.`,
  `Model: the FedAvg paper CNN (28×28×1, 1,663,370 parameters, all trained), batch ${BATCH_SIZE}, SGD, random data; each figure is \`measureTrainingSpeed\` (one warm-up step, then ${STEPS} timed \`trainOnBatch\` steps). Chromium: ${CHROMIUM} headless (\`${CHROMIUM_FLAGS.join(' ')}\`), page bench/throughput/page.ts built by Vite with scripts/vite's tfjsWasmThreads and served from 127.0.0.1 with COOP/COEP; the two builds are switched in the same tab by web/backend's useWasmBuild, as the app's backend choice does. PyTorch: bench/torch-reference.py, ${torchNote}. Each round runs the two wasm builds (first one alternating) then PyTorch.`,
  '',
  '| round | order | wasm (1 thread) images/s | wasm-threads images/s | PyTorch images/s | threads ÷ 1 thread | threads ÷ PyTorch | 1 thread ÷ PyTorch |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rounds.map((r) => `| ${r.round} | ${r.order} | ${fmt(r.wasm)} | ${fmt(r.threads)} | ${fmt(r.torch)} | ${ratio(r.threads, r.wasm)} | ${ratio(r.threads, r.torch)} | ${ratio(r.wasm, r.torch)} |`),
  `| median | | ${fmt(median(rounds.map((r) => r.wasm)))} | ${fmt(median(rounds.map((r) => r.threads)))} | ${fmt(median(rounds.map((r) => r.torch)))} | ${median(rounds.map((r) => r.threads / r.wasm)).toFixed(2)} | ${median(rounds.map((r) => r.threads / r.torch)).toFixed(2)} | ${median(rounds.map((r) => r.wasm / r.torch)).toFixed(2)} |`,
  '',
  `wasm-threads ran as: ${rounds[0]?.threadsDetail ?? 'n/a'}; wasm as: ${rounds[0]?.wasmDetail ?? 'n/a'}.`,
]
console.log('\n' + lines.join('\n'))
if (values.write) {
  writeBenchSection('wasm-threads', lines.join('\n'))
  console.log('written to BENCHMARKS.md: add a note on the load it ran under (other work on the machine) by hand')
}

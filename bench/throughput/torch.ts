import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchModel } from './models'

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../torch-reference.py')

/** PyTorch-CPU's images/s per model (bench/torch-reference.py, 2 threads), or why it could not run. */
export type TorchResult = { ok: true; python: string; torch: string; threads: number; imagesPerSecond: Partial<Record<BenchModel, number>> } | { ok: false; problem: string }

/** The Python that imports torch: Debian's python3-torch lives under /usr/bin/python3, which PATH may not put first. */
export function torchPython(): string | null {
  return ['/usr/bin/python3', 'python3'].find((p) => {
    try {
      execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  }) ?? null
}

/** Runs bench/torch-reference.py for `models` at `batch`. */
export function runTorchReference(models: BenchModel[], batch: number): TorchResult {
  const python = torchPython()
  if (!python) return { ok: false, problem: 'PyTorch: `import torch` fails here (Debian package python3-torch not installed: apt-get install -y python3-torch); the bench installs nothing.' }
  const out = JSON.parse(execFileSync(python, [SCRIPT, String(batch), models.join(',')], { encoding: 'utf8' }).trim().split('\n').pop() ?? '{}') as Record<string, number | string>
  const imagesPerSecond: Partial<Record<BenchModel, number>> = {}
  for (const m of models) imagesPerSecond[m] = Number(out[m])
  return { ok: true, python, torch: String(out.torch), threads: Number(out.threads), imagesPerSecond }
}

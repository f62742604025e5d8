import type { Problem } from '../problems'
import { CONFIG_FILE } from './config'
import type { BundleConfig } from './types'

/**
 * Why a task cannot be created from this bundle, or nothing. A bundle's own code (`entry_file`) is not
 * run by autofed yet: running it safely needs a participant to review and accept it and a sandbox that
 * cannot reach the network or the picked folder, and neither exists (README "Security and reliability").
 */
export function hostingProblems(config: BundleConfig): Problem[] {
  if (config.entry_file === undefined || config.entry_file === null) return []
  return [{ file: CONFIG_FILE, field: 'entry_file', message: "is not supported yet: autofed cannot run a bundle's own code safely on participants' machines; use a built-in entry_module such as autofed.models.cnn" }]
}

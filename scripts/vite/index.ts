// Imported by vite.config.ts: Vite's config loader asks for explicit file names (no directory index, no bare extensionless paths).
export { rewriteBackendWasm, tfjsWasmThreads, threadedScriptPath } from './tfjs-wasm-threads.ts'

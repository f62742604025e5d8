// The few web-standard globals that every runtime of ours has (browsers, Node >= 20, workerd).
// shared/ gets no DOM and no Node types, so only these can be used.
declare class TextEncoder {
  encode(input?: string): Uint8Array
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean })
  decode(input?: ArrayBufferView | ArrayBuffer): string
}
declare const console: {
  log(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
}
declare const performance: { now(): number }
declare function setTimeout(handler: () => void, ms?: number): unknown
declare function clearTimeout(id: unknown): void
declare function queueMicrotask(cb: () => void): void
declare const crypto: { getRandomValues<T extends ArrayBufferView>(array: T): T }
declare function btoa(data: string): string
declare function atob(data: string): string

// @cloudflare/workers-types declares clearTimeout(number | null); edge/routes/body.ts clears a timer that
// may not have been set (undefined), which workerd accepts like every runtime does.
declare function clearTimeout(timeoutId: number | undefined): void

import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'

/** Debian's Chromium: Playwright's own browser cannot be downloaded here. */
export const CHROMIUM_PATH = process.env.AUTOFED_CHROMIUM ?? '/usr/bin/chromium'

/** WebGPU needs --enable-unsafe-webgpu in headless Chromium (a software adapter); the rest keeps it off the network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

/** Starts headless Chromium with WebGPU enabled; `extraArgs` add switches (a host mapping, …). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true })
}

const OPFS_BATCH = 100

/**
 * Writes a folder into the origin-private file system of the page's origin, under `name`. The page
 * must already be on the app's origin (OPFS is per origin).
 */
export async function writeFolderToOpfs(page: Page, name: string, files: Map<string, Uint8Array>): Promise<void> {
  const entries = [...files].map(([path, bytes]) => [path, Buffer.from(bytes).toString('base64')] as [string, string])
  for (let i = 0; i < entries.length; i += OPFS_BATCH) {
    await page.evaluate(
      async ({ name, batch }) => {
        const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(name, { create: true })
        for (const [path, base64] of batch) {
          const parts = path.split('/')
          let dir = root
          for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: true })
          const file = await dir.getFileHandle(parts[parts.length - 1], { create: true })
          const writable = await file.createWritable()
          await writable.write(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)))
          await writable.close()
        }
      },
      { name, batch: entries.slice(i, i + OPFS_BATCH) },
    )
  }
}

/**
 * Hands the app a real FileSystemDirectoryHandle (the OPFS folder `name`) in place of the native
 * picker, on every page load of the context, so the app's File System Access path runs.
 */
export async function injectPicker(context: BrowserContext, name: string): Promise<void> {
  await context.addInitScript((folder: string) => {
    ;(window as unknown as { __autofedPickDirectory: () => Promise<FileSystemDirectoryHandle> }).__autofedPickDirectory = async () =>
      (await navigator.storage.getDirectory()).getDirectoryHandle(folder)
  }, name)
}

/** Page errors and console errors of a page, printed when the test fails. */
export function watchPage(page: Page, name: string, sink: string[]): void {
  page.on('pageerror', (e) => sink.push(`${name} page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') sink.push(`${name} console: ${m.text()}`)
  })
}

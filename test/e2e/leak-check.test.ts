import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from './browser'
import { mnistTestPng } from './images'
import { findLeaks } from './leak'
import type { SecretImage } from './leak'
import { startRecordingProxy } from './proxy'
import type { RecordingProxy } from './proxy'

// Proves the leak check of the federation e2e works: each way a page can send an image (a File body,
// FormData, sendBeacon, a preprocessed float tensor) is caught where the bodies arrive, a clean upload
// passes, and an unreadable body fails. Playwright's request.postDataBuffer() sees none of the first three.

let app: http.Server
let proxy: RecordingProxy
let browser: Browser
let page: Page
const digit = mnistTestPng(0)
const images: SecretImage[] = [{ path: 'train/7/0.png', bytes: digit.png }]

beforeAll(async () => {
  app = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!doctype html><title>sink</title>')
    })
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  proxy = await startRecordingProxy(`http://127.0.0.1:${(app.address() as AddressInfo).port}`)
  browser = await launchChromium()
  page = await browser.newPage()
  await page.goto(proxy.url)
})

afterAll(async () => {
  await browser?.close()
  await proxy?.close()
  app?.close()
})

/** Runs `send` in the page (passing the PNG as a number array) and waits for the proxy to have the body at `path`. */
async function sendFromPage(path: string, send: (args: { path: string; png: number[] }) => Promise<unknown>) {
  const arrived = proxy.waitForRecord((r) => r.url === path)
  await page.evaluate(send, { path, png: Array.from(digit.png) })
  return arrived
}

describe('leak check', () => {
  it('passes a clean upload of random weights and JSON metrics', async () => {
    const record = await sendFromPage('/clean', async ({ path }) => {
      const weights = new Float32Array(30_000).map(() => Math.random() - 0.5)
      await fetch(path, { method: 'POST', body: weights })
      await fetch(path + '-json', { method: 'POST', body: JSON.stringify({ examples: 200, correct: 150, loss: 0.71 }) })
    })
    expect(record.body?.length).toBe(120_000)
    const json = await proxy.waitForRecord((r) => r.url === '/clean-json')
    expect(findLeaks([record, json], images)).toEqual([])
  })

  it('catches a PNG File posted with fetch', async () => {
    const record = await sendFromPage('/file', async ({ path, png }) => {
      const file = new File([new Uint8Array(png)], '0.png', { type: 'image/png' })
      await fetch(path, { method: 'POST', body: file })
    })
    expect(findLeaks([record], images)).toEqual([{ request: 'POST /file', reason: 'PNG file of train/7/0.png' }])
  })

  it('catches a PNG inside multipart FormData', async () => {
    const record = await sendFromPage('/form', async ({ path, png }) => {
      const form = new FormData()
      form.append('meta', 'x')
      form.append('image', new File([new Uint8Array(png)], '0.png', { type: 'image/png' }))
      await fetch(path, { method: 'POST', body: form })
    })
    expect(record.contentType).toMatch(/^multipart\/form-data/)
    expect(findLeaks([record], images)).toEqual([{ request: 'POST /form', reason: 'PNG file of train/7/0.png' }])
  })

  it('catches a PNG sent with navigator.sendBeacon', async () => {
    const record = await sendFromPage('/beacon', async ({ path, png }) => navigator.sendBeacon(path, new Blob([new Uint8Array(png)])))
    expect(findLeaks([record], images)).toEqual([{ request: 'POST /beacon', reason: 'PNG file of train/7/0.png' }])
  })

  it('catches the image decoded and sent as a float32 tensor scaled to 0..1', async () => {
    const record = await sendFromPage('/tensor', async ({ path, png }) => {
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(png)], { type: 'image/png' }))
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
      const ctx = canvas.getContext('2d')!
      ctx.drawImage(bitmap, 0, 0)
      const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data
      const tensor = new Float32Array(bitmap.width * bitmap.height)
      for (let i = 0; i < tensor.length; i++) tensor[i] = rgba[i * 4] / 255
      await fetch(path, { method: 'POST', body: tensor })
    })
    expect(findLeaks([record], images)).toEqual([{ request: 'POST /tensor', reason: 'pixels as float32 / 255 of train/7/0.png' }])
  })

  it('counts a body that could not be read as a failure', () => {
    expect(
      findLeaks([{ method: 'POST', url: '/cut', contentType: undefined, body: null, error: 'request aborted before its body was complete', at: 0 }], images),
    ).toEqual([{ request: 'POST /cut', reason: 'body could not be read: request aborted before its body was complete' }])
  })
})

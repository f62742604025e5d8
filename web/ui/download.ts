/** Saves bytes or text as a file through the browser's download (made in the page: nothing is sent anywhere). */
export function downloadFile(name: string, content: string | Uint8Array, type: string): void {
  const part: BlobPart = typeof content === 'string' ? content : (content.slice().buffer as ArrayBuffer)
  const url = URL.createObjectURL(new Blob([part], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  // The click starts the download synchronously from the URL; revoking on the next task keeps it valid until then.
  setTimeout(() => URL.revokeObjectURL(url), 0)
}

// workerd fails a request that was answered before its body was read to the end ("Can't read from request
// stream after response has been sent"), and the next request of that connection or object gets a 503.
// An answer given before the body is read (a 413 on its Content-Length, a 409 for an upload that is not
// wanted) must still take the rest of the body.

/** Reads a body nobody read to its end; a sender that went away leaves nothing to take. */
export async function drain(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader()
  try {
    while (!(await reader.read()).done);
  } catch {
    // The sender went away: nothing left to take.
  }
}

import type { Server } from 'node:http'

/** How long the server keeps an idle keep-alive connection open. */
export const KEEP_ALIVE_MS = 65_000

/**
 * A connection in the middle of a request that moves no byte either way for this long is closed. It stands
 * in for Node's whole-request limit (5 min), which cut a site on a slow uplink off every round: 6.65 MB of
 * mnist-cnn take 5 min below 180 kbit/s, a 50 MB model below 1.4 Mbit/s. The event stream writes a comment
 * every 15 s and uploads fail with their own 408 after 30 s of silence, so neither comes near it.
 */
export const SOCKET_IDLE_MS = 120_000

/** Sets the aggregator's connection timeouts on a Node HTTP(S) server: bounds on silence, none on the whole. */
export function connectionTimeouts(server: Server, socketIdleMs = SOCKET_IDLE_MS): void {
  // Node closes an idle keep-alive connection after 5 s; a participant that trained meanwhile (its event
  // loop busy, its own idle timer late) then sends its upload on a socket the server is closing and gets
  // "fetch failed", and a backoff, every round. Clients give up idle sockets long before this.
  server.keepAliveTimeout = KEEP_ALIVE_MS
  server.headersTimeout = KEEP_ALIVE_MS + 1000
  server.requestTimeout = 0
  // Without a 'timeout' listener Node destroys the socket: a client that stalls mid-body holds nothing.
  server.setTimeout(socketIdleMs)
}

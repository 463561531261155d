import type { Server } from 'node:http'

/**
 * Stops accepting connections and waits for in-flight requests to finish, at most `timeoutMs`;
 * then cuts whatever is left. Idle keep-alive connections are closed at once, busy ones as soon
 * as their response is sent (the request context answers `Connection: close` while shutting down).
 * Resolves true when everything finished in time.
 */
export function drainServer (server: Server, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve(true)
      return
    }
    const timer = setTimeout(() => {
      server.closeAllConnections()
      resolve(false)
    }, timeoutMs)
    timer.unref()
    server.close(() => {
      clearTimeout(timer)
      resolve(true)
    })
    server.closeIdleConnections()
  })
}

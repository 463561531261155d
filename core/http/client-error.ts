import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { CoreError } from '../errors.ts'
import type { Logger } from '../logger.ts'

/**
 * Answers requests that Node's HTTP parser refuses before Koa sees them (malformed request line,
 * oversized headers, data after `Connection: close`, header timeout) with the same JSON error
 * body as every other error, instead of Node's bare 400.
 */
export function clientErrorHandler (logger: Logger) {
  return function onClientError (error: NodeJS.ErrnoException, socket: Duplex): void {
    const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent === true) {
      socket.destroy()
      return
    }
    const failure = error.code === 'HPE_HEADER_OVERFLOW'
      ? CoreError.headersTooLarge('the request headers are too large')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? CoreError.requestTimeout('the request took too long to arrive')
        : CoreError.badRequest(`the request is not valid HTTP (${error.code ?? 'parse error'})`)
    const requestId = randomUUID()
    logger.info({ requestId, code: failure.code, reason: error.code }, 'refused malformed request')
    const body = JSON.stringify({ error: { code: failure.code, message: failure.message, requestId } })
    // Then closed both ways: a client that keeps trickling bytes after the answer (slowloris) must
    // not keep the socket half open.
    socket.end([
      `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? 'Error'}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-Id: ${requestId}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'), () => socket.destroy())
  }
}

import type { Context, Next } from 'koa'
import { CoreError } from '../error-codes.ts'
import { isPlatformError, type PlatformError } from '../errors.ts'
import type { Logger } from '../logger.ts'

/**
 * Turns every error into the JSON body of SPEC §8. Platform errors keep their code and status;
 * Koa's own HTTP errors are mapped to the matching core code; anything else is a 500 whose
 * details go to the log only.
 */
export function errorHandler (logger: Logger) {
  return async function errorHandlerMiddleware (ctx: Context, next: Next): Promise<void> {
    try {
      await next()
      if (ctx.status === 404 && ctx.body == null) throw CoreError.notFound(`no route for ${ctx.method} ${ctx.path.slice(0, 200)}`)
    } catch (caught) {
      const error = toPlatformError(caught)
      if (error.status >= 500) logger.error({ requestId: ctx.state.requestId, err: caught }, 'request failed')
      ctx.state.errorCode = error.code
      ctx.status = error.status
      if (error.headers !== undefined) ctx.set(error.headers)
      ctx.body = {
        error: {
          code: error.code,
          message: error.message,
          requestId: ctx.state.requestId,
          ...(error.field === undefined ? {} : { field: error.field }),
          ...(error.errors === undefined ? {} : { errors: error.errors }),
        },
      }
    }
  }
}

function toPlatformError (caught: unknown): PlatformError {
  if (isPlatformError(caught)) return caught
  const status = (caught as { status?: unknown } | null)?.status
  const message = (caught as { expose?: boolean, message?: string } | null)?.expose === true ? String((caught as Error).message) : undefined
  switch (status) {
    case 400: return CoreError.badRequest(message)
    case 404: return CoreError.notFound(message)
    case 405: return CoreError.methodNotAllowed(message)
    case 413: return CoreError.bodyTooLarge(message)
    case 415: return CoreError.unsupportedMediaType(message)
    default: return CoreError.internal('internal error; the request id identifies it in the logs', { cause: caught })
  }
}

import type { Context, Next } from 'koa'
import { ERROR_TEXTS, preferredLanguage } from '../error-texts.ts'
import { CoreError, isPlatformError, type PlatformError } from '../errors.ts'
import type { Logger } from '../logger.ts'

/** The answer to a failed request: its status, the error's own headers, and the JSON body of SPEC §8. */
export interface ErrorAnswer {
  status: number
  code: string
  headers: Record<string, string> | undefined
  body: { error: Record<string, unknown> }
}

/**
 * Turns anything thrown while serving a request into its answer. Platform errors keep their code
 * and status; Koa's own HTTP errors are mapped to the matching core code; anything else is a 500
 * whose details go to the log only (so does every 5xx). In `language` vi the message is the code's
 * Vietnamese text and the particulars (English) are `detail`; the code never changes.
 */
export function errorAnswer (caught: unknown, requestId: string, logger: Logger, language: 'vi' | 'en' = 'en'): ErrorAnswer {
  const error = toPlatformError(caught)
  if (error.status >= 500) logger.error({ requestId, err: caught }, 'request failed')
  // In Vietnamese, what the code means in words (core/error-texts.ts), or the one field problem's own words, and the
  // English particulars as `detail`.
  const only = error.errors?.length === 1 ? error.errors[0]!.vi : undefined
  const text = language === 'vi' ? only ?? ERROR_TEXTS[error.code]?.vi : undefined
  return {
    status: error.status,
    code: error.code,
    headers: error.headers,
    body: {
      error: {
        code: error.code,
        message: text ?? error.message,
        ...(text === undefined || error.message === error.code ? {} : { detail: error.message }),
        requestId,
        ...(error.field === undefined ? {} : { field: error.field }),
        // Each listed problem in the caller's language.
        ...(error.errors === undefined ? {} : { errors: error.errors.map(({ field, message, vi }) => ({ field, message: language === 'vi' ? vi ?? message : message })) }),
      },
    },
  }
}

/** The core API's error handler: every error becomes its `errorAnswer`. */
export function errorHandler (logger: Logger) {
  return async function errorHandlerMiddleware (ctx: Context, next: Next): Promise<void> {
    try {
      await next()
      if (ctx.status === 404 && ctx.body == null) throw CoreError.notFound(`no route for ${ctx.method} ${ctx.path.slice(0, 200)}`)
    } catch (caught) {
      const answer = errorAnswer(caught, ctx.state.requestId, logger, preferredLanguage(ctx.get('accept-language')))
      ctx.state.errorCode = answer.code
      ctx.status = answer.status
      if (answer.headers !== undefined) ctx.set(answer.headers)
      ctx.body = answer.body
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

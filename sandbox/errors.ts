import { defineError } from '../core/errors.ts'

/** The sandbox's error codes (SPEC §8): what the caller of a plugin route gets when the plugin fails. */
export const SandboxError = {
  pluginFailed: defineError('SBX_ERR_PLUGIN_FAILED', 500, 'The plugin failed'),
  loadFailed: defineError('SBX_ERR_LOAD_FAILED', 500, 'The plugin could not be loaded'),
  timeout: defineError('SBX_ERR_TIMEOUT', 504, 'The plugin ran past its time'),
  memoryLimit: defineError('SBX_ERR_MEMORY_LIMIT', 503, 'The plugin exceeded its memory'),
  workerCrashed: defineError('SBX_ERR_WORKER_CRASHED', 503, 'The sandbox worker stopped'),
  badResponse: defineError('SBX_ERR_BAD_RESPONSE', 502, 'The plugin returned an invalid response'),
  hostCallLimit: defineError('SBX_ERR_HOST_CALL_LIMIT', 503, 'The plugin made too many host calls'),
  unavailable: defineError('SBX_ERR_UNAVAILABLE', 503, 'The sandbox is not available'),
  badRequest: defineError('SBX_ERR_BAD_REQUEST', 400, 'The request could not be handed to the plugin'),
} as const

/**
 * What an `exchange.call` the plugin did not catch answers its caller (docs/exchange.md): the plugin's own failure to
 * reach another system, named for what went wrong there.
 */
export const ExchangeError = {
  notConfigured: defineError('EXCH_ERR_NOT_CONFIGURED', 503, 'The unit has not configured this connection'),
  circuitOpen: defineError('EXCH_ERR_CIRCUIT_OPEN', 503, 'The other system failed repeatedly; calls to it are paused'),
  rateLimited: defineError('EXCH_ERR_RATE_LIMITED', 429, 'Too many calls to the other system'),
  timeout: defineError('EXCH_ERR_TIMEOUT', 504, 'The other system did not answer in time'),
  unreachable: defineError('EXCH_ERR_UNREACHABLE', 502, 'The other system could not be reached'),
  authFailed: defineError('EXCH_ERR_AUTH_FAILED', 502, 'The other system refused the platform\'s credentials'),
  hashMismatch: defineError('EXCH_ERR_HASH_MISMATCH', 502, 'The other system\'s answer is not bound to the request'),
  tooLarge: defineError('EXCH_ERR_RESPONSE_TOO_LARGE', 502, 'The other system\'s answer is too large'),
} as const

export type ExchangeErrorCode = (typeof ExchangeError)[keyof typeof ExchangeError]['code']

export type SandboxErrorCode = 'SBX_ERR_PLUGIN_FAILED' | 'SBX_ERR_LOAD_FAILED' | 'SBX_ERR_TIMEOUT' | 'SBX_ERR_MEMORY_LIMIT'
  | 'SBX_ERR_WORKER_CRASHED' | 'SBX_ERR_BAD_RESPONSE' | 'SBX_ERR_HOST_CALL_LIMIT' | 'SBX_ERR_UNAVAILABLE' | 'SBX_ERR_BAD_REQUEST' | ExchangeErrorCode

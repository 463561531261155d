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

export type SandboxErrorCode = 'SBX_ERR_PLUGIN_FAILED' | 'SBX_ERR_LOAD_FAILED' | 'SBX_ERR_TIMEOUT' | 'SBX_ERR_MEMORY_LIMIT'
  | 'SBX_ERR_WORKER_CRASHED' | 'SBX_ERR_BAD_RESPONSE' | 'SBX_ERR_HOST_CALL_LIMIT' | 'SBX_ERR_UNAVAILABLE' | 'SBX_ERR_BAD_REQUEST'

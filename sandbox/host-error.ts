/** An error a host function throws back into the plugin; `name` reaches the plugin as the error's name. */
export type HostCallName = 'PermissionDenied' | 'InvalidArgument' | 'BudgetExceeded' | 'NotFound' | 'Timeout' | 'QuotaExceeded' | 'Conflict' | 'HostError'

export class HostCallError extends Error {
  constructor (name: HostCallName, message: string) {
    super(message)
    this.name = name
  }
}

export const denied = (message: string): HostCallError => new HostCallError('PermissionDenied', message)
export const invalid = (message: string): HostCallError => new HostCallError('InvalidArgument', message)

/** Checks that `value` is a string of 1–`max` characters, else an InvalidArgument naming `what`. */
export function stringArg (value: unknown, what: string, max = 256): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw invalid(`${what} must be a string of 1 to ${max} characters`)
  return value
}

/** Checks that `value` is a plain JSON object, else an InvalidArgument naming `what`. */
export function objectArg (value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${what} must be an object`)
  return value as Record<string, unknown>
}

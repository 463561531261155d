/**
 * One factory for every error the platform returns. Each layer defines its codes with
 * `defineError` (`CORE_ERR_*`, `SBX_ERR_*`, `REG_ERR_*`…); each code has one fixed HTTP status.
 * `docs/errors.md` lists every code, and a test keeps that list and this registry in step.
 */

export interface FieldError {
  /** JSON pointer-ish path of the offending field, e.g. `/roles/0` or `username`. */
  field: string
  message: string
}

export interface ErrorDefinition {
  code: string
  status: number
  title: string
}

export interface ErrorOptions {
  field?: string
  errors?: FieldError[]
  headers?: Record<string, string>
  cause?: unknown
}

/** An error with a documented code. Its message is always safe to show to the caller. */
export class PlatformError extends Error {
  readonly code: string
  readonly status: number
  readonly field: string | undefined
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string> | undefined
  readonly expose = true

  constructor (definition: ErrorDefinition, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PlatformError'
    this.code = definition.code
    this.status = definition.status
    this.field = options.field
    this.errors = options.errors
    this.headers = options.headers
  }
}

export type ErrorFactory = ((message?: string, options?: ErrorOptions) => PlatformError) & ErrorDefinition

const registry = new Map<string, ErrorDefinition>()

/** Registers a code and returns the function that creates errors carrying it. */
export function defineError (code: string, status: number, title: string): ErrorFactory {
  if (!/^[A-Z]+_ERR_[A-Z0-9_]+$/.test(code)) throw new TypeError(`bad error code ${code}`)
  if (registry.has(code)) throw new TypeError(`error code ${code} is defined twice`)
  const definition: ErrorDefinition = { code, status, title }
  registry.set(code, definition)
  const create = (message: string = title, options?: ErrorOptions): PlatformError =>
    new PlatformError(definition, message, options)
  return Object.assign(create, definition)
}

/** Every code defined so far, for the documentation test and the OpenAPI document. */
export function definedErrors (): ErrorDefinition[] {
  return [...registry.values()]
}

export function isPlatformError (error: unknown): error is PlatformError {
  return error instanceof PlatformError
}

/**
 * One factory for every error the platform returns. Each layer defines its codes with
 * `defineError` (`CORE_ERR_*`, `SBX_ERR_*`, `REG_ERR_*`…); each code has one fixed HTTP status.
 * `docs/errors.md` lists every code, and a test keeps that list and this registry in step.
 */

export interface FieldError {
  /** JSON pointer-ish path of the offending field, e.g. `/roles/0` or `username`. */
  field: string
  /** In English, in words: the field by its label, what is wrong and what is expected. */
  message: string
  /** The same in Vietnamese, answered instead of `message` to a caller who asks for Vietnamese. */
  vi?: string
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

/** The core layer's error codes. The status of each is fixed; `docs/errors.md` explains each. */
export const CoreError = {
  internal: defineError('CORE_ERR_INTERNAL', 500, 'Internal error'),
  config: defineError('CORE_ERR_CONFIG', 500, 'Invalid configuration'),
  unavailable: defineError('CORE_ERR_UNAVAILABLE', 503, 'Service unavailable'),
  databaseTooNew: defineError('CORE_ERR_DATABASE_TOO_NEW', 500, 'Database migrated by a newer build'),

  notFound: defineError('CORE_ERR_NOT_FOUND', 404, 'Not found'),
  headersTooLarge: defineError('CORE_ERR_HEADERS_TOO_LARGE', 431, 'Request Header Fields Too Large'),
  requestTimeout: defineError('CORE_ERR_REQUEST_TIMEOUT', 408, 'Request Timeout'),
  methodNotAllowed: defineError('CORE_ERR_METHOD_NOT_ALLOWED', 405, 'Method not allowed'),
  badRequest: defineError('CORE_ERR_BAD_REQUEST', 400, 'Bad request'),

  malformedJson: defineError('CORE_ERR_MALFORMED_JSON', 400, 'The body is not valid JSON'),
  unsupportedMediaType: defineError('CORE_ERR_UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported content type'),
  bodyTooLarge: defineError('CORE_ERR_BODY_TOO_LARGE', 413, 'The body is too large'),
  bodyTooComplex: defineError('CORE_ERR_BODY_TOO_COMPLEX', 413, 'The body nests too deep or holds too many values'),
  unknownField: defineError('CORE_ERR_UNKNOWN_FIELD', 422, 'Unknown field'),
  missingField: defineError('CORE_ERR_MISSING_FIELD', 422, 'Missing field'),
  invalidField: defineError('CORE_ERR_INVALID_FIELD', 422, 'Invalid field'),

  unauthenticated: defineError('CORE_ERR_UNAUTHENTICATED', 401, 'Authentication required'),
  badCredentials: defineError('CORE_ERR_BAD_CREDENTIALS', 401, 'Wrong username or password'),
  sessionEnded: defineError('CORE_ERR_SESSION_ENDED', 401, 'The session has ended; sign in again'),
  tooManyAttempts: defineError('CORE_ERR_TOO_MANY_ATTEMPTS', 429, 'Too many failed sign-ins'),
  wrongCurrentPassword: defineError('CORE_ERR_WRONG_CURRENT_PASSWORD', 422, 'The current password is wrong'),
  accountInactive: defineError('CORE_ERR_ACCOUNT_INACTIVE', 403, 'The account was unused too long and is locked'),
  wrongFactor: defineError('CORE_ERR_WRONG_FACTOR', 401, 'The second factor does not match'),
  ticketEnded: defineError('CORE_ERR_TICKET_ENDED', 401, 'The sign-in step has ended; sign in again'),
  stepUpRequired: defineError('CORE_ERR_STEP_UP_REQUIRED', 403, 'Confirm with your second factor first'),
  passwordRejected: defineError('CORE_ERR_PASSWORD_REJECTED', 422, 'The new password is not allowed'),
  identityProviderFailed: defineError('CORE_ERR_IDENTITY_PROVIDER_FAILED', 401, 'Signing in through the identity provider failed'),
  identityProviderExists: defineError('CORE_ERR_IDENTITY_PROVIDER_EXISTS', 409, 'An identity provider with this code exists'),
  forbidden: defineError('CORE_ERR_FORBIDDEN', 403, 'Forbidden'),
  roleNotHeld: defineError('CORE_ERR_ROLE_NOT_HELD', 403, 'You lack the right to grant this role there'),
  unknownRole: defineError('CORE_ERR_UNKNOWN_ROLE', 422, 'Unknown role'),
  rootOnlyRole: defineError('CORE_ERR_ROOT_ONLY_ROLE', 422, 'This role is granted only at the root tenant'),

  tenantExists: defineError('CORE_ERR_TENANT_EXISTS', 409, 'A tenant with this code already exists'),
  adminUnitTaken: defineError('CORE_ERR_ADMIN_UNIT_TAKEN', 409, 'Another tenant has this administrative unit code'),
  userExists: defineError('CORE_ERR_USER_EXISTS', 409, 'A user with this username already exists'),
  grantExists: defineError('CORE_ERR_GRANT_EXISTS', 409, 'This grant already exists'),
  certificateExists: defineError('CORE_ERR_CERTIFICATE_EXISTS', 409, 'This certificate is registered already'),
  revocationListOlder: defineError('CORE_ERR_REVOCATION_LIST_OLDER', 409, 'A revocation list as new or newer is held already'),
} as const

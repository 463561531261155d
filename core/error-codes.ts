import { defineError } from './errors.ts'

/** The core layer's error codes. The status of each is fixed; `docs/errors.md` explains each. */
export const CoreError = {
  internal: defineError('CORE_ERR_INTERNAL', 500, 'Internal error'),
  config: defineError('CORE_ERR_CONFIG', 500, 'Invalid configuration'),
  unavailable: defineError('CORE_ERR_UNAVAILABLE', 503, 'Service unavailable'),

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
  tooManyAttempts: defineError('CORE_ERR_TOO_MANY_ATTEMPTS', 429, 'Too many failed sign-ins'),
  wrongCurrentPassword: defineError('CORE_ERR_WRONG_CURRENT_PASSWORD', 422, 'The current password is wrong'),
  forbidden: defineError('CORE_ERR_FORBIDDEN', 403, 'Forbidden'),
  roleNotHeld: defineError('CORE_ERR_ROLE_NOT_HELD', 403, 'You lack the right to grant this role there'),
  unknownRole: defineError('CORE_ERR_UNKNOWN_ROLE', 422, 'Unknown role'),
  rootOnlyRole: defineError('CORE_ERR_ROOT_ONLY_ROLE', 422, 'This role is granted only at the root tenant'),

  tenantExists: defineError('CORE_ERR_TENANT_EXISTS', 409, 'A tenant with this code already exists'),
  adminUnitTaken: defineError('CORE_ERR_ADMIN_UNIT_TAKEN', 409, 'Another tenant has this administrative unit code'),
  userExists: defineError('CORE_ERR_USER_EXISTS', 409, 'A user with this username already exists'),
  grantExists: defineError('CORE_ERR_GRANT_EXISTS', 409, 'This grant already exists'),
} as const

import { defineError } from '../core/errors.ts'

/** The registry's error codes. */
export const RegistryError = {
  manifestInvalid: defineError('REG_ERR_MANIFEST_INVALID', 422, 'The plugin manifest is invalid'),
  packageUnreadable: defineError('REG_ERR_PACKAGE_UNREADABLE', 422, 'The plugin package cannot be read'),
  packageInvalid: defineError('REG_ERR_PACKAGE_INVALID', 422, 'The plugin package breaks a packaging rule'),
  scopeForbidden: defineError('REG_ERR_SCOPE_FORBIDDEN', 403, 'You may not publish under this scope'),
  versionExists: defineError('REG_ERR_VERSION_EXISTS', 409, 'This name@version exists already'),
  selfReview: defineError('REG_ERR_SELF_REVIEW', 403, 'The publisher cannot review its own upload'),
  wrongStatus: defineError('REG_ERR_WRONG_STATUS', 409, 'The version is not in a state that allows this'),
  checksFailed: defineError('REG_ERR_CHECKS_FAILED', 422, 'The version failed an automated check: approving it needs an override and its reason'),
  revoked: defineError('REG_ERR_REVOKED', 410, 'This plugin version was revoked'),
  integrity: defineError('REG_ERR_INTEGRITY', 503, 'The stored package does not match its hash or signature'),
  notApproved: defineError('REG_ERR_NOT_APPROVED', 409, 'Only an approved version can be installed'),
  notInstallable: defineError('REG_ERR_NOT_INSTALLABLE', 404, 'No such package version for this tenant'),
  packageTooLarge: defineError('REG_ERR_PACKAGE_TOO_LARGE', 413, 'The plugin package is too large'),
} as const

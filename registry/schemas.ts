import type { JsonSchema } from '../core/http/validation.ts'
import { TENANT_CODE_PATTERN } from '../core/tenancy/tenants.ts'

/**
 * The registry's names and the schemas its routes share: each pattern is written here once, and
 * the same objects validate requests, plugin.json and the OpenAPI document.
 */

/**
 * A plugin's own name (`{name}` in `@{scope}/{name}`), and a mount: a lower-case letter, then lower-case letters,
 * digits and dashes.
 */
export const PLUGIN_NAME_PATTERN = '^[a-z][a-z0-9-]{0,62}$'
export const MOUNT_PATTERN = PLUGIN_NAME_PATTERN
/** `@{scope}/{name}`: the scope is the publishing tenant's code. */
export const PACKAGE_NAME_PATTERN = `^@${TENANT_CODE_PATTERN.slice(1, -1)}/${PLUGIN_NAME_PATTERN.slice(1, -1)}$`
/** A version as it appears in a path (what semver allows, and no more than 64 characters). */
export const VERSION_PATTERN = '^[0-9A-Za-z.+-]{1,64}$'
/** A secret's name: upper case, digits and underscores, as environment variables are written. */
export const SECRET_NAME_PATTERN = '^[A-Z][A-Z0-9_]{0,63}$'

/** A package's scope in a path, with or without its `@`: `/packages/@hn/hello` is `/packages/hn/hello`. */
export const scopeParam: JsonSchema = { type: 'string', pattern: `^@?${TENANT_CODE_PATTERN.slice(1)}` }
/** The scope a path names, without its `@`. */
export const scopeOf = (param: string | undefined): string => (param ?? '').replace(/^@/, '')
export const nameParam: JsonSchema = { type: 'string', pattern: PLUGIN_NAME_PATTERN }
export const versionParam: JsonSchema = { type: 'string', pattern: VERSION_PATTERN }
export const mountParam: JsonSchema = { type: 'string', pattern: MOUNT_PATTERN }
export const secretNameParam: JsonSchema = { type: 'string', pattern: SECRET_NAME_PATTERN }

/** A registry entry: one version of one package. */
export const entrySchema: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    version: { type: 'string' },
    status: { enum: ['pending', 'approved', 'rejected', 'revoked'] },
    sha256: { type: 'string' },
    publisher: { type: 'string' },
    publishedAt: { type: 'string' },
    checks: { type: 'array' },
  },
}

/** An installation at a tenant, as the installation routes show it. */
export const installationSchema = {
  type: 'object',
  properties: {
    mount: { type: 'string' },
    package: { type: 'string' },
    version: { type: 'string' },
    settings: { type: 'object' },
    inherit: { type: 'boolean' },
    updatedAt: { type: 'string' },
    updatedBy: { type: 'string' },
    pages: { type: ['string', 'null'], description: "where the plugin's pages are served at this tenant, if it has any" },
  },
} satisfies JsonSchema

/** A plugin that serves a tenant, as its users see it (no settings). */
export const serviceSchema: JsonSchema = {
  type: 'object',
  properties: { mount: { type: 'string' }, package: { type: 'string' }, version: { type: 'string' }, description: { type: ['string', 'null'] }, pages: { type: ['string', 'null'] } },
}

/** The body of `PUT /api/v1/tenants/{code}/plugins/{mount}`. */
export const installBodySchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['package', 'version'],
  properties: {
    package: { type: 'string', pattern: PACKAGE_NAME_PATTERN },
    version: { type: 'string', minLength: 1, maxLength: 64 },
    settings: { type: 'object' },
    inherit: { type: 'boolean' },
  },
}

export const secretListSchema: JsonSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, updatedAt: { type: 'string' }, updatedBy: { type: 'string' } } } } },
}

/** A plugin page's token (`POST …/plugins/{mount}/page-token`). */
export const pageTokenSchema: JsonSchema = {
  type: 'object',
  properties: {
    token: { type: 'string' },
    expiresAt: { type: 'string' },
    audience: { type: 'string', description: 't/{tenant}/{mount}: the only routes the token is good for' },
    user: { type: 'object', properties: { username: { type: 'string' }, displayName: { type: 'string' }, tenant: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } } },
  },
}

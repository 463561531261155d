// What a tenant-admin sends to set an exchange endpoint, and the kinds of authentication (docs/exchange.md).
import type { JsonSchema } from '../../core/http/validation.ts'

export type AuthKind = 'none' | 'bearer' | 'oauth2' | 'hmac' | 'session' | 'mtls'

/**
 * Each kind of authentication: the settings it takes that are no secret (shown back to administrators), and the
 * secret ones (sealed, never shown, never logged). docs/exchange.md says what each does.
 */
export const AUTH_KINDS: Record<AuthKind, { options: Record<string, JsonSchema>, required: string[], secrets: string[] }> = {
  none: { options: {}, required: [], secrets: [] },
  bearer: { options: {}, required: ['token'], secrets: ['token'] },
  oauth2: {
    options: { tokenUrl: { type: 'string', format: 'uri', maxLength: 2048 }, clientId: { type: 'string', minLength: 1, maxLength: 256 }, scope: { type: 'string', maxLength: 1024 } },
    required: ['tokenUrl', 'clientId', 'clientSecret'],
    secrets: ['clientSecret'],
  },
  hmac: {
    options: {
      accessKey: { type: 'string', minLength: 1, maxLength: 256 },
      appName: { type: 'string', maxLength: 256 },
      accessKeyHeader: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
      appNameHeader: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
      timestampHeader: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
      signatureHeader: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
    },
    required: ['accessKey', 'secretKey'],
    secrets: ['secretKey'],
  },
  session: {
    options: {
      loginPath: { type: 'string', pattern: '^/[^\\s?#]{0,500}$' },
      username: { type: 'string', minLength: 1, maxLength: 256 },
      usernameField: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
      passwordField: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
      sessionField: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
      expiresField: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
      sessionHeader: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
      sessionPrefix: { type: 'string', pattern: '^[A-Za-z0-9 _-]{0,32}$' },
    },
    required: ['loginPath', 'username', 'password'],
    secrets: ['password'],
  },
  mtls: {
    options: { certificate: { type: 'string', pattern: '^-----BEGIN CERTIFICATE-----', maxLength: 65536 } },
    required: ['certificate', 'key'],
    secrets: ['key'],
  },
}

const SECRET_FIELDS: Record<string, JsonSchema> = {
  token: { type: 'string', minLength: 1, maxLength: 4096 },
  clientSecret: { type: 'string', minLength: 1, maxLength: 1024 },
  secretKey: { type: 'string', minLength: 1, maxLength: 1024 },
  password: { type: 'string', minLength: 1, maxLength: 1024 },
  key: { type: 'string', pattern: '^-----BEGIN [A-Z ]*PRIVATE KEY-----', maxLength: 65536 },
}

/** What a tenant-admin sends to set an endpoint (PUT …/endpoints/{name}). */
export interface EndpointInput {
  baseUrl: string
  auth: { kind: AuthKind } & Record<string, string>
  ca?: string | null
  timeoutMs?: number
  retries?: number
  ratePerMinute?: number | null
  breaker?: { failures?: number, openMs?: number }
  allowPrivate?: boolean
  logBodies?: boolean
}

export const endpointInputSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl', 'auth'],
  properties: {
    baseUrl: { type: 'string', pattern: '^https?://[^\\s?#]+$', maxLength: 2048, description: 'Where calls go: a path the plugin gives is added to it' },
    auth: {
      type: 'object',
      required: ['kind'],
      additionalProperties: false,
      properties: {
        kind: { enum: Object.keys(AUTH_KINDS) },
        ...Object.assign({}, ...Object.values(AUTH_KINDS).map((kind) => kind.options)),
        ...SECRET_FIELDS,
      },
      description: 'none; bearer {token}; oauth2 {tokenUrl, clientId, clientSecret, scope?}; hmac {accessKey, secretKey, appName?, …Header?}; session {loginPath, username, password, …Field?, sessionHeader?, sessionPrefix?}; mtls {certificate, key}. Secrets (token, clientSecret, secretKey, password, key) are sealed and never shown; leave one out to keep the one set',
    },
    ca: { type: ['string', 'null'], pattern: '^-----BEGIN CERTIFICATE-----', maxLength: 65536, description: "A private certificate authority the endpoint's certificate chains to (PEM)" },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 30_000, description: "Each call's time limit, within the plugin's own (default 5000)" },
    retries: { type: 'integer', minimum: 0, maximum: 5, description: 'Retries of an idempotent call (GET, HEAD, PUT, DELETE) that got no answer or a 502/503/504 (default 2)' },
    ratePerMinute: { type: ['integer', 'null'], minimum: 1, maximum: 100_000, description: 'At most this many calls a minute, per node' },
    breaker: {
      type: 'object',
      additionalProperties: false,
      properties: {
        failures: { type: 'integer', minimum: 1, maximum: 100, description: 'Failures in a row that open the circuit (default 5)' },
        openMs: { type: 'integer', minimum: 500, maximum: 600_000, description: 'How long it stays open before one trial call (default 30000)' },
      },
    },
    allowPrivate: { type: 'boolean', description: 'Platform administrators only: the endpoint may sit on a private address (a government network)' },
    logBodies: { type: 'boolean', description: 'Keep request and response bodies in the exchange log (personal data: off by default)' },
  },
}

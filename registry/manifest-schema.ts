import { ROLE_PATTERN } from '../core/tenancy/roles.ts'
import { PACKAGE_NAME_PATTERN } from './schemas.ts'

/**
 * The JSON Schema (2020-12) of `plugin.json` (SPEC §6). Published at /api/v1/schemas/plugin.json
 * with the registry; the sandbox reads limits and permissions only from manifests it validated.
 */
export const manifestSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://nentang.gov.vn/schemas/plugin.json',
  title: 'nentang plugin manifest',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'engine', 'main'],
  properties: {
    name: { type: 'string', pattern: PACKAGE_NAME_PATTERN, description: '@{tenant code}/{name}' },
    version: { type: 'string', pattern: '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$', maxLength: 64 },
    description: { type: 'string', maxLength: 500 },
    engine: { type: 'string', minLength: 1, maxLength: 64, description: 'semver range of the platform engine, e.g. ^1.0.0' },
    main: { type: 'string', pattern: '^(?!.*/\\.\\.?(?:/|$))(?!.*//)[A-Za-z0-9_][A-Za-z0-9_./-]{0,200}\\.(m?js)$' },
    visibility: { enum: ['private', 'public'], default: 'private' },
    permissions: {
      type: 'object',
      additionalProperties: false,
      properties: {
        storage: {
          oneOf: [
            { type: 'boolean' },
            {
              type: 'object',
              additionalProperties: false,
              properties: { read: { type: 'array', maxItems: 2, uniqueItems: true, items: { enum: ['lineage', 'subtree'] } } },
              description: "storage, and reading the same plugin's documents at the unit's ancestors (lineage) or descendants (subtree)",
            },
          ],
        },
        http: { type: 'object', additionalProperties: false, required: ['allow'], properties: { allow: { type: 'array', maxItems: 20, items: { type: 'string', pattern: '^https?://[^\\s]{1,500}$' } } } },
        secrets: { type: 'array', maxItems: 20, uniqueItems: true, items: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{0,63}$' } },
        events: {
          type: 'object',
          additionalProperties: false,
          properties: {
            publish: { type: 'array', maxItems: 50, items: { type: 'string', pattern: '^[a-z][a-z0-9_.-]{0,127}$' } },
            subscribe: { type: 'object', maxProperties: 50, propertyNames: { pattern: '^[a-z][a-z0-9_.-]{0,127}$' }, additionalProperties: { type: 'string', pattern: '^[A-Za-z_$][A-Za-z0-9_$]{0,63}$' } },
          },
        },
        signature: { type: 'boolean' },
        audit: { type: 'boolean', description: "append entries to the platform's audit log (audit.record)" },
        timers: { type: 'array', maxItems: 20, uniqueItems: true, items: { type: 'string', pattern: '^[A-Za-z_$][A-Za-z0-9_$]{0,63}$' }, description: 'the handlers timers.at may run later' },
        exchange: { type: 'array', maxItems: 20, uniqueItems: true, items: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,63}$' }, description: 'the named outbound endpoints exchange.call may use; a tenant-admin configures each per installation' },
        directory: { type: 'boolean', description: "read the unit's users and roles, and the unit tree (directory.users, directory.units)" },
        files: { type: 'boolean', description: 'keep files at each unit: uploads to its routes, files.* and signed download links' },
        exports: { type: 'boolean', description: 'export its documents as CSV or XLSX files (exports.start); needs files and storage' },
        seal: { type: 'boolean', description: "sign content with the unit's own seal (signature.seal); the key never reaches the plugin" },
      },
    },
    routes: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['method', 'path', 'handler'],
        properties: {
          method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
          path: { type: 'string', pattern: '^/([A-Za-z0-9._~-]+|:[a-z][A-Za-z0-9_]{0,31})?(/([A-Za-z0-9._~-]+|:[a-z][A-Za-z0-9_]{0,31}))*$', maxLength: 300 },
          handler: { type: 'string', pattern: '^[A-Za-z_$][A-Za-z0-9_$]{0,63}$' },
          access: { type: 'string', pattern: `^(public|user|${ROLE_PATTERN.slice(1, -1)})$`, default: 'user' },
          body: { type: 'object' },
          upload: {
            type: 'object',
            additionalProperties: false,
            required: ['maxBytes', 'types'],
            description: 'the route takes files: multipart/form-data (text fields become the body) or the raw body as one file',
            properties: {
              as: { enum: ['multipart', 'raw'], default: 'multipart' },
              maxBytes: { type: 'integer', minimum: 1, maximum: 52_428_800, description: 'per file; the platform caps it at 50 MiB' },
              maxFiles: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
              types: { type: 'array', minItems: 1, maxItems: 20, uniqueItems: true, items: { type: 'string', pattern: '^[a-z]+/[a-z0-9.+-]{1,100}$' } },
            },
          },
        },
      },
    },
    schemas: { type: 'object', maxProperties: 100, additionalProperties: { type: 'object' } },
    collections: {
      type: 'object',
      maxProperties: 50,
      propertyNames: { pattern: '^[a-z][a-z0-9_-]{0,63}$' },
      description: 'per collection, the indexes the platform creates when a version is approved: up to 8, of up to 3 fields each',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          indexes: {
            type: 'array',
            maxItems: 8,
            items: { type: 'array', minItems: 1, maxItems: 3, uniqueItems: true, items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}(\\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,4}$' } },
          },
        },
      },
    },
    settings: { type: 'object' },
    roles: { type: 'array', maxItems: 20, uniqueItems: true, items: { type: 'string', pattern: ROLE_PATTERN } },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeoutMs: { type: 'integer', minimum: 10, maximum: 30000 },
        memoryMb: { type: 'integer', minimum: 8, maximum: 256 },
        hostCalls: { type: 'integer', minimum: 1, maximum: 10000 },
      },
    },
    // A folder inside the package: no `.` or `..` segment, no empty one.
    ui: { type: 'string', pattern: '^(?!.*/\\.\\.?(?:/|$))(?!.*//)[A-Za-z0-9_][A-Za-z0-9_./-]{0,200}/$' },
  },
} as const

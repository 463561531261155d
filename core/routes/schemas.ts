import { ROLE_PATTERN } from '../tenancy/roles.ts'
import { TENANT_CODE_PATTERN } from '../tenancy/tenants.ts'
import { USERNAME_PATTERN } from '../tenancy/users.ts'
import type { JsonSchema } from '../http/validation.ts'

/** Schemas shared by the core routes; the same objects validate requests and feed the OpenAPI document. */
export const tenantCode: JsonSchema = { type: 'string', pattern: TENANT_CODE_PATTERN }
export const username: JsonSchema = { type: 'string', pattern: USERNAME_PATTERN }
export const password: JsonSchema = { type: 'string', minLength: 10, maxLength: 256 }
export const role: JsonSchema = { type: 'string', pattern: ROLE_PATTERN }
export const displayName: JsonSchema = { type: 'string', minLength: 1, maxLength: 200 }
export const id: JsonSchema = { type: 'string', pattern: '^[1-9][0-9]{0,15}$' }

export const tenant: JsonSchema = {
  type: 'object',
  properties: {
    code: tenantCode,
    name: { type: 'string' },
    parent: { type: ['string', 'null'] },
    path: { type: 'string' },
    adminUnitCode: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    fullName: { type: 'string', description: "the unit's name, then those above it up to its province: Phường Ba Đình, Thành phố Hà Nội" },
  },
}

export const user: JsonSchema = {
  type: 'object',
  properties: {
    username,
    displayName: { type: 'string' },
    tenant: tenantCode,
    disabled: { type: 'boolean' },
    identityNumber: { type: ['string', 'null'], description: 'the linked identity number, all but its last three digits masked' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
}

export const grant: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    username,
    role,
    tenant: tenantCode,
    includeDescendants: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
  },
}

export const error: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'requestId'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        requestId: { type: 'string' },
        field: { type: 'string' },
        errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
}

export const list = (items: JsonSchema): JsonSchema => ({ type: 'object', properties: { items: { type: 'array', items } } })

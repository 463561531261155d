import { appendAudit } from '../audit/audit-log.ts'
import { DEFAULT_CLAIMS, findProvider, providersAt, providerView, sealClientSecret } from '../auth/oidc/identity-providers.ts'
import { assertIssuerAllowed } from '../auth/oidc/oidc-sign-in.ts'
import { assertRecentFactor } from '../auth/step-up.ts'
import { isUniqueViolation, transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { tenantInReach } from '../tenancy/reach.ts'
import { redirectUriOf } from './oidc.ts'
import * as schema from './schemas.ts'

interface ProviderInput {
  code: string
  name: string
  issuer: string
  clientId: string
  clientSecret: string
  scopes?: string
  claims?: Partial<typeof DEFAULT_CLAIMS>
  enabled?: boolean
}

const claimName = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,100}$' }
const fields = {
  code: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,63}$', description: 'Short name in addresses: vneid, sso-hanoi' },
  name: { type: 'string', minLength: 1, maxLength: 200, description: 'Shown on the button: "VNeID", "SSO Hà Nội"' },
  issuer: { type: 'string', minLength: 8, maxLength: 500, description: "The provider's issuer URL (https; its /.well-known/openid-configuration is read)" },
  clientId: { type: 'string', minLength: 1, maxLength: 200 },
  clientSecret: { type: 'string', minLength: 1, maxLength: 1000, description: 'Sealed at rest; never shown again' },
  scopes: { type: 'string', pattern: '^openid( [A-Za-z0-9_:.-]+)*$', maxLength: 500, description: 'Space-separated, starting with openid (default "openid profile")' },
  claims: {
    type: 'object',
    additionalProperties: false,
    description: 'Which claim carries each fact (defaults: identity_number, name, birthdate; unit unset)',
    properties: { identityNumber: claimName, fullName: claimName, birthDate: claimName, unit: claimName },
  },
  enabled: { type: 'boolean' },
}
const { code: _code, ...changeable } = fields
const providerSchema = {
  type: 'object',
  properties: {
    code: fields.code,
    name: fields.name,
    tenant: schema.tenantCode,
    issuer: fields.issuer,
    clientId: fields.clientId,
    scopes: fields.scopes,
    claims: { type: 'object' },
    enabled: fields.enabled,
    redirectUri: { type: 'string', description: 'Register this at the provider' },
    createdBy: schema.username,
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
}

/**
 * Identity providers a unit's administrator configures (a platform-admin at `vn` for the national VNeID; a province's
 * tenant-admin for its own single sign-on): people who sign in through one are homed in that unit's subtree.
 */
export function identityProviderRoutes (services: Services): Route<any>[] {
  const { db, secretBox } = services

  async function checkIssuer (issuer: string): Promise<void> {
    const refused = await assertIssuerAllowed(issuer, services.config.httpAllowPrivate)
    if (refused !== undefined) throw CoreError.invalidField(refused, { field: 'issuer' })
  }

  const list = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/identity-providers',
    operationId: 'listIdentityProviders',
    summary: 'The identity providers configured at this unit (never their secrets)',
    tag: 'identity',
    auth: 'user',
    params: { code: schema.tenantCode },
    responses: { 200: { description: 'By code', schema: { type: 'object', properties: { providers: { type: 'array', items: providerSchema } } } } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ ctx, params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const providers = await providersAt(db, tenant.id)
      return { status: 200, body: { providers: providers.map((p) => providerView(p, redirectUriOf(services, ctx, p.code))) } }
    },
  })

  const create = defineRoute<ProviderInput>({
    method: 'POST',
    path: '/api/v1/tenants/:code/identity-providers',
    operationId: 'addIdentityProvider',
    summary: 'Add an OpenID Connect identity provider at this unit; register the answer\'s redirectUri at the provider',
    tag: 'identity',
    auth: 'user',
    params: { code: schema.tenantCode },
    body: { type: 'object', additionalProperties: false, required: ['code', 'name', 'issuer', 'clientId', 'clientSecret'], properties: fields },
    responses: { 201: { description: 'Added', schema: providerSchema } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.invalidField, CoreError.identityProviderExists, CoreError.stepUpRequired],
    async handle ({ ctx, params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      assertRecentFactor(principal, services.identity.factorPolicy, 'Adding an identity provider')
      await checkIssuer(body.issuer)
      const now = new Date().toISOString()
      try {
        await transaction(db, async (trx) => {
          await trx('identity_providers').insert({
            code: body.code,
            name: body.name,
            tenant_id: tenant.id,
            issuer: body.issuer,
            client_id: body.clientId,
            client_secret_sealed: sealClientSecret(secretBox, body.code, body.clientSecret),
            scopes: body.scopes ?? 'openid profile',
            claims: JSON.stringify({ ...DEFAULT_CLAIMS, ...body.claims }),
            enabled: body.enabled ?? true,
            created_by: principal.username,
            created_at: now,
            updated_at: now,
          })
          await appendAudit(trx, { actor: principal.username, action: 'identity-provider.add', tenant: tenant.code, target: body.code, details: { issuer: body.issuer, clientId: body.clientId }, requestId })
        })
      } catch (error) {
        if (isUniqueViolation(error)) throw CoreError.identityProviderExists(`an identity provider '${body.code}' exists`, { field: 'code' })
        throw error
      }
      const provider = (await findProvider(db, body.code))!
      return { status: 201, body: providerView(provider, redirectUriOf(services, ctx, provider.code)) }
    },
  })

  const update = defineRoute<Partial<Omit<ProviderInput, 'code'>>>({
    method: 'PATCH',
    path: '/api/v1/tenants/:code/identity-providers/:provider',
    operationId: 'updateIdentityProvider',
    summary: 'Change an identity provider (a new client secret replaces the old; disabled, its button goes)',
    tag: 'identity',
    auth: 'user',
    params: { code: schema.tenantCode, provider: fields.code },
    body: { type: 'object', additionalProperties: false, minProperties: 1, properties: changeable },
    responses: { 200: { description: 'Changed', schema: providerSchema } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.invalidField, CoreError.stepUpRequired],
    async handle ({ ctx, params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const provider = await findProvider(db, params.provider!)
      if (provider === undefined || provider.tenant.id !== tenant.id) throw CoreError.notFound(`no identity provider '${params.provider}' at '${tenant.code}'`)
      assertRecentFactor(principal, services.identity.factorPolicy, 'Changing an identity provider')
      if (body.issuer !== undefined) await checkIssuer(body.issuer)
      const change: Record<string, unknown> = { updated_at: new Date().toISOString() }
      if (body.name !== undefined) change.name = body.name
      if (body.issuer !== undefined) change.issuer = body.issuer
      if (body.clientId !== undefined) change.client_id = body.clientId
      if (body.clientSecret !== undefined) change.client_secret_sealed = sealClientSecret(secretBox, provider.code, body.clientSecret)
      if (body.scopes !== undefined) change.scopes = body.scopes
      if (body.claims !== undefined) change.claims = JSON.stringify({ ...provider.claims, ...body.claims })
      if (body.enabled !== undefined) change.enabled = body.enabled
      await transaction(db, async (trx) => {
        await trx('identity_providers').where({ id: provider.id }).update(change)
        await appendAudit(trx, { actor: principal.username, action: 'identity-provider.update', tenant: tenant.code, target: provider.code, details: { changed: Object.keys(body) }, requestId })
      })
      const changed = (await findProvider(db, provider.code))!
      return { status: 200, body: providerView(changed, redirectUriOf(services, ctx, changed.code)) }
    },
  })

  const remove = defineRoute({
    method: 'DELETE',
    path: '/api/v1/tenants/:code/identity-providers/:provider',
    operationId: 'removeIdentityProvider',
    summary: 'Remove an identity provider; users it created stay, with their identity numbers',
    tag: 'identity',
    auth: 'user',
    params: { code: schema.tenantCode, provider: fields.code },
    responses: { 204: { description: 'Removed' } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.stepUpRequired],
    async handle ({ params, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const provider = await findProvider(db, params.provider!)
      if (provider === undefined || provider.tenant.id !== tenant.id) throw CoreError.notFound(`no identity provider '${params.provider}' at '${tenant.code}'`)
      assertRecentFactor(principal, services.identity.factorPolicy, 'Removing an identity provider')
      await transaction(db, async (trx) => {
        await trx('identity_providers').where({ id: provider.id }).delete()
        await appendAudit(trx, { actor: principal.username, action: 'identity-provider.remove', tenant: tenant.code, target: provider.code, requestId })
      })
      return { status: 204 }
    },
  })

  return [list, create, update, remove]
}

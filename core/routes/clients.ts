import { randomBytes } from 'node:crypto'
import { appendAudit, recordAudit } from '../audit/audit-log.ts'
import {
  assertionProblem, checkedCertificate, CLIENT_ASSERTION_TYPE, clientsAt, clientView, findClient, newClientSecret, secretMatches, type MachineClient,
} from '../auth/machine-clients.ts'
import { assertRecentFactor } from '../auth/step-up.ts'
import { transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import { readBody } from '../http/body.ts'
import { defineRoute, type Route } from '../http/route.ts'
import type { Services } from '../services.ts'
import { assertMayGrant } from '../tenancy/delegation.ts'
import { createGrant } from '../tenancy/grants.ts'
import { PRINCIPAL_CHANGED } from '../tenancy/principal-changed.ts'
import { tenantInReach } from '../tenancy/reach.ts'
import { ADMIN_ROLES } from '../tenancy/roles.ts'
import { createUser, findUser, updateUser } from '../tenancy/users.ts'
import * as schema from './schemas.ts'

/** How long a client's token lasts: short, since a system asks again whenever it needs one. */
export const CLIENT_TOKEN_SECONDS = 300
/** A client's token is good on plugin routes, `/t/…`, and nowhere else (core/http/authenticate.ts). */
export const CLIENT_AUDIENCE = 't/*'
// A system processes or files; it never administers, publishes or reviews.
const NOT_FOR_CLIENTS = new Set([...ADMIN_ROLES, 'developer'])

const clientSchema = {
  type: 'object',
  properties: {
    clientId: { type: 'string' },
    name: { type: 'string' },
    tenant: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    auth: { type: 'string', enum: ['secret', 'certificate'] },
    certificateSha256: { type: ['string', 'null'] },
    disabled: { type: 'boolean' },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    lastTokenAt: { type: ['string', 'null'] },
    clientSecret: { type: 'string', description: 'Given once, when the client is created or its secret renewed; never again' },
  },
}
const clientIdParam = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{1,63}$' }

/**
 * Machine clients: other agencies' systems, registered by a tenant-admin with roles at the unit (core/auth/
 * machine-clients.ts), and the OAuth2 client-credentials token endpoint they take short-lived tokens from.
 */
export function clientRoutes (services: Services): Route<any>[] {
  const { db, changes, tokens, throttle } = services

  /** Each client's roles, by user id, in one read. */
  async function rolesOfAll (clients: readonly MachineClient[]): Promise<Map<number, string[]>> {
    const roles = new Map(clients.map((client) => [client.userId, [] as string[]]))
    if (clients.length === 0) return roles
    const rows = await db.knex('grants').whereIn('user_id', clients.map((client) => client.userId)).orderBy('role').select('user_id', 'role')
    for (const row of rows) roles.get(Number(row.user_id))?.push(String(row.role))
    return roles
  }
  const rolesOf = async (client: MachineClient): Promise<string[]> => (await rolesOfAll([client])).get(client.userId) ?? []

  async function clientAt (code: string, clientId: string, principal: Parameters<typeof tenantInReach>[1]) {
    const tenant = await tenantInReach(db, principal, code, 'admin')
    const client = await findClient(db, clientId)
    if (client === undefined || client.tenant !== tenant.code) throw CoreError.notFound(`no client '${clientId}' at '${tenant.code}'`)
    return { tenant, client }
  }

  const list = defineRoute({
    method: 'GET',
    path: '/api/v1/tenants/:code/clients',
    operationId: 'listClients',
    summary: 'The systems of other agencies registered at this unit, with their roles',
    tag: 'exchange',
    auth: 'user',
    params: { code: schema.tenantCode },
    responses: { 200: { description: 'By client id', schema: { type: 'object', properties: { clients: { type: 'array', items: clientSchema } } } } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, principal }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      const clients = await clientsAt(db, tenant.id)
      const roles = await rolesOfAll(clients)
      return { status: 200, body: { clients: clients.map((client) => clientView(client, roles.get(client.userId) ?? [])) } }
    },
  })

  const create = defineRoute<{ name: string, roles: string[], certificate?: string }>({
    method: 'POST',
    path: '/api/v1/tenants/:code/clients',
    operationId: 'createClient',
    summary: 'Register another agency\'s system with roles here: it gets a secret (shown once), or authenticates with the certificate given',
    tag: 'exchange',
    auth: 'user',
    params: { code: schema.tenantCode },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'roles'],
      properties: {
        name: schema.displayName,
        roles: { type: 'array', items: schema.role, uniqueItems: true, minItems: 1, maxItems: 10 },
        certificate: { type: 'string', pattern: '^-----BEGIN CERTIFICATE-----', maxLength: 65536, description: 'Its key signs the client\'s token requests (RFC 7523); then no secret is made' },
      },
    },
    responses: { 201: { description: 'Registered', schema: clientSchema } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.unknownRole, CoreError.roleNotHeld, CoreError.invalidField, CoreError.stepUpRequired],
    async handle ({ params, body, principal, requestId }) {
      const tenant = await tenantInReach(db, principal, params.code!, 'admin')
      assertRecentFactor(principal, services.identity.factorPolicy, 'Registering another system')
      const known = await services.roles.rolesAt(tenant)
      for (const role of body.roles) {
        if (NOT_FOR_CLIENTS.has(role)) throw CoreError.invalidField(`a system cannot hold '${role}': it calls plugin routes, it does not administer`, { field: 'roles' })
        assertMayGrant(principal, role, tenant, false, known)
      }
      const certificate = body.certificate === undefined ? undefined : checkedCertificate(body.certificate)
      if (typeof certificate === 'string') throw CoreError.invalidField(certificate, { field: 'certificate' })
      const secret = certificate === undefined ? newClientSecret() : undefined
      const clientId = `${tenant.code.slice(0, 40)}.sys-${randomBytes(4).toString('hex')}`
      await transaction(db, async (trx) => {
        // A password no one knows: a client never signs in with one (core/routes/auth.ts refuses its kind anyway).
        const user = await createUser(trx, changes, tenant, { username: clientId, password: randomBytes(32).toString('base64url'), displayName: body.name })
        await trx('users').where({ id: user.id }).update({ kind: 'client' })
        await trx('machine_clients').insert({
          user_id: user.id,
          name: body.name,
          secret_hash: secret?.hash ?? null,
          certificate: certificate?.pem ?? null,
          certificate_sha256: certificate?.sha256 ?? null,
          created_at: new Date().toISOString(),
          created_by: principal.username,
        })
        for (const role of body.roles) await createGrant(trx, changes, user, role, tenant, false)
        await appendAudit(trx, { actor: principal.username, action: 'client.create', tenant: tenant.code, target: clientId, details: { name: body.name, roles: body.roles, auth: certificate === undefined ? 'secret' : 'certificate' }, requestId })
      })
      const client = (await findClient(db, clientId))!
      return { status: 201, body: { ...clientView(client, await rolesOf(client)), ...(secret === undefined ? {} : { clientSecret: secret.secret }) } }
    },
  })

  const change = defineRoute<{ disabled: boolean }>({
    method: 'PATCH',
    path: '/api/v1/tenants/:code/clients/:client',
    operationId: 'updateClient',
    summary: 'Disable a client (its tokens are refused at once, on every node) or enable it again',
    tag: 'exchange',
    auth: 'user',
    params: { code: schema.tenantCode, client: clientIdParam },
    body: { type: 'object', additionalProperties: false, required: ['disabled'], properties: { disabled: { type: 'boolean' } } },
    responses: { 200: { description: 'Changed', schema: clientSchema } },
    errors: [CoreError.notFound, CoreError.forbidden],
    async handle ({ params, body, principal, requestId }) {
      const { tenant, client } = await clientAt(params.code!, params.client!, principal)
      const user = (await findUser(db, client.clientId))!
      await transaction(db, async (trx) => {
        await updateUser(trx, changes, user, { disabled: body.disabled })
        await appendAudit(trx, { actor: principal.username, action: body.disabled ? 'client.disable' : 'client.enable', tenant: tenant.code, target: client.clientId, requestId })
      })
      const changed = (await findClient(db, client.clientId))!
      return { status: 200, body: clientView(changed, await rolesOf(changed)) }
    },
  })

  const renewSecret = defineRoute({
    method: 'POST',
    path: '/api/v1/tenants/:code/clients/:client/secret',
    operationId: 'renewClientSecret',
    summary: 'A new secret for a client (shown once); the old one and every token it took are refused at once',
    tag: 'exchange',
    auth: 'user',
    params: { code: schema.tenantCode, client: clientIdParam },
    responses: { 200: { description: 'Renewed', schema: clientSchema } },
    errors: [CoreError.notFound, CoreError.forbidden, CoreError.invalidField, CoreError.stepUpRequired],
    async handle ({ params, principal, requestId }) {
      const { tenant, client } = await clientAt(params.code!, params.client!, principal)
      assertRecentFactor(principal, services.identity.factorPolicy, 'Renewing a system\'s secret')
      if (client.certificate !== null) throw CoreError.invalidField('this client authenticates with its certificate; it has no secret', { field: 'clientId' })
      const secret = newClientSecret()
      await transaction(db, async (trx) => {
        await trx('machine_clients').where({ id: client.id }).update({ secret_hash: secret.hash })
        await trx('users').where({ id: client.userId }).increment('token_version', 1)
        await appendAudit(trx, { actor: principal.username, action: 'client.secret-renewed', tenant: tenant.code, target: client.clientId, requestId })
        await changes.publish(trx, PRINCIPAL_CHANGED, { userId: client.userId })
      })
      const renewed = (await findClient(db, client.clientId))!
      return { status: 200, body: { ...clientView(renewed, await rolesOf(renewed)), clientSecret: secret.secret } }
    },
  })

  const token = defineRoute({
    method: 'POST',
    path: '/api/v1/auth/client-token',
    operationId: 'clientToken',
    summary: 'OAuth2 client credentials (RFC 6749 §4.4): a system\'s short-lived token for the plugin routes its roles reach',
    tag: 'exchange',
    auth: 'public',
    rawBody: {
      contentType: 'application/x-www-form-urlencoded',
      description: '`grant_type=client_credentials`; the client by HTTP Basic (client_secret_basic), or `client_id` and `client_secret`, or `client_id`, ' +
        `\`client_assertion_type=${CLIENT_ASSERTION_TYPE}\` and \`client_assertion\` (a JWT its certificate's key signed, RFC 7523)`,
    },
    responses: {
      200: {
        description: 'A bearer token for `/t/{tenant}/…` routes only',
        schema: { type: 'object', properties: { access_token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' } } },
      },
    },
    errors: [CoreError.badCredentials, CoreError.tooManyAttempts, CoreError.invalidField, CoreError.unsupportedMediaType, CoreError.bodyTooLarge],
    async handle ({ ctx, requestId }) {
      const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase()
      if (type !== 'application/x-www-form-urlencoded') throw CoreError.unsupportedMediaType('the token request is application/x-www-form-urlencoded (RFC 6749)', { field: '(body)' })
      const form = new URLSearchParams((await readBody(ctx.req, 16 * 1024)).toString('utf8'))
      if (form.get('grant_type') !== 'client_credentials') throw CoreError.invalidField('grant_type must be client_credentials', { field: 'grant_type' })
      const [basicId, basicSecret] = basicCredentials(ctx.get('authorization'))
      const clientId = basicId ?? form.get('client_id') ?? ''
      const address = ctx.ip
      const wait = throttle.waitFor(`client:${clientId}`, address)
      if (wait > 0) throw CoreError.tooManyAttempts(`too many failed token requests; try again in ${Math.ceil(wait / 1000)} s`, { headers: { 'Retry-After': String(Math.ceil(wait / 1000)) } })
      const client = /^[a-z0-9][a-z0-9._-]{1,63}$/.test(clientId) ? await findClient(db, clientId) : undefined
      const assertion = form.get('client_assertion')
      let problem: string | undefined
      if (client === undefined) problem = 'no such client'
      else if (client.disabled) problem = 'the client is disabled'
      else if (assertion !== null) {
        problem = form.get('client_assertion_type') === CLIENT_ASSERTION_TYPE ? await assertionProblem(client, assertion) : 'client_assertion_type is not jwt-bearer'
      } else if (!secretMatches(client, basicSecret ?? form.get('client_secret') ?? '')) problem = 'wrong secret'
      if (problem !== undefined || client === undefined) {
        throttle.failed(`client:${clientId}`, address)
        await recordAudit(db, { actor: null, action: 'auth.client-token-refused', target: clientId.slice(0, 64), details: { address, why: problem }, requestId })
        throw CoreError.badCredentials('The client could not be authenticated.')
      }
      const answer = await tokens.issue(client.userId, client.tokenVersion, { audience: CLIENT_AUDIENCE, ttlSeconds: CLIENT_TOKEN_SECONDS })
      const now = new Date().toISOString()
      await db.knex('machine_clients').where({ id: client.id }).update({ last_token_at: now })
      await db.knex('users').where({ id: client.userId }).update({ last_active_at: now })
      await recordAudit(db, { actor: client.clientId, action: 'auth.client-token', tenant: client.tenant, target: client.clientId, details: { address }, requestId })
      return { status: 200, headers: { 'cache-control': 'no-store' }, body: { access_token: answer.token, token_type: 'Bearer', expires_in: CLIENT_TOKEN_SECONDS } }
    },
  })

  return [list, create, change, renewSecret, token]
}

/**
 * HTTP Basic client credentials (RFC 6749 §2.3.1: each form-urlencoded, then joined by the first ':'); none when the
 * header is not Basic or does not decode, which then authenticates nobody.
 */
function basicCredentials (header: string): [string, string] | [] {
  const encoded = /^Basic ([A-Za-z0-9+/=]{1,2048})$/.exec(header)?.[1]
  if (encoded === undefined) return []
  const text = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = text.indexOf(':')
  if (colon < 0) return []
  try {
    return [decodeURIComponent(text.slice(0, colon).replace(/\+/g, ' ')), decodeURIComponent(text.slice(colon + 1).replace(/\+/g, ' '))]
  } catch {
    return []
  }
}

import type { SecretBox } from '../../core/auth/secret-box.ts'
import type { Database } from '../../core/db/database.ts'
import { toBoolean } from '../../core/db/database.ts'
import type { ChangeFeed } from '../../core/events/change-feed.ts'
import { servingAt } from '../../registry/installations.ts'
import { AUTH_KINDS, type AuthKind, type EndpointInput } from './endpoint-input.ts'

export const ENDPOINTS_CHANGED = 'exchange.endpoints.changed'

/** An endpoint as calls use it: its secrets opened. */
export interface Endpoint {
  id: number
  tenantId: number
  mount: string
  name: string
  baseUrl: string
  auth: { kind: AuthKind, options: Record<string, string>, secrets: Record<string, string> }
  ca: string | null
  timeoutMs: number
  retries: number
  ratePerMinute: number | null
  breaker: { failures: number, openMs: number }
  allowPrivate: boolean
  logBodies: boolean
  /** Changes whenever it is set again: token caches and connections are kept per version. */
  version: string
  updatedAt: string
  updatedBy: string
}

const sealContext = (tenantId: number, mount: string, name: string): string => `exchange:${tenantId}/${mount}/${name}`

/** An endpoint as administrators see it: everything but the secrets, which are named only. */
export function endpointView (endpoint: Endpoint): Record<string, unknown> {
  return {
    name: endpoint.name,
    baseUrl: endpoint.baseUrl,
    auth: { kind: endpoint.auth.kind, ...endpoint.auth.options, secretsSet: Object.keys(endpoint.auth.secrets).sort() },
    ca: endpoint.ca,
    timeoutMs: endpoint.timeoutMs,
    retries: endpoint.retries,
    ratePerMinute: endpoint.ratePerMinute,
    breaker: endpoint.breaker,
    allowPrivate: endpoint.allowPrivate,
    logBodies: endpoint.logBodies,
    updatedAt: endpoint.updatedAt,
    updatedBy: endpoint.updatedBy,
  }
}

/** The named endpoints of each installation: set, listed and removed by administrators, resolved (cached) for calls. */
export function createEndpoints (db: Database, box: SecretBox, changes: ChangeFeed) {
  const cache = new Map<string, { endpoint: Endpoint | undefined, at: number }>()
  let generation = 0
  changes.subscribe(ENDPOINTS_CHANGED, () => { cache.clear(); generation++ })
  changes.subscribe('resync', () => { cache.clear(); generation++ })

  function fromRow (row: Record<string, unknown>): Endpoint {
    const tenantId = Number(row.tenant_id)
    const mount = String(row.mount)
    const name = String(row.name)
    const secrets = row.sealed === null ? {} : JSON.parse(box.open(String(row.sealed), sealContext(tenantId, mount, name))) as Record<string, string>
    return {
      id: Number(row.id),
      tenantId,
      mount,
      name,
      baseUrl: String(row.base_url),
      auth: { kind: String(row.auth_kind) as AuthKind, options: JSON.parse(String(row.auth_options)) as Record<string, string>, secrets },
      ca: row.ca === null ? null : String(row.ca),
      timeoutMs: Number(row.timeout_ms),
      retries: Number(row.retries),
      ratePerMinute: row.rate_per_minute === null ? null : Number(row.rate_per_minute),
      breaker: { failures: Number(row.breaker_failures), openMs: Number(row.breaker_open_ms) },
      allowPrivate: toBoolean(row.allow_private),
      logBodies: toBoolean(row.log_bodies),
      version: `${String(row.id)}@${String(row.updated_at)}`,
      updatedAt: String(row.updated_at),
      updatedBy: String(row.updated_by),
    }
  }

  async function list (tenantId: number, mount: string): Promise<Endpoint[]> {
    return (await db.knex('exchange_endpoints').where({ tenant_id: tenantId, mount }).orderBy('name')).map(fromRow)
  }

  async function find (tenantId: number, mount: string, name: string): Promise<Endpoint | undefined> {
    const row = await db.knex('exchange_endpoints').where({ tenant_id: tenantId, mount, name }).first()
    return row === undefined ? undefined : fromRow(row)
  }

  return {
    list,
    find,

    /**
     * Sets an endpoint. Secrets left out are kept when the kind of authentication is the same; `allowPrivate` is
     * `undefined` unless a platform-admin sets it, and is then kept only while the base URL keeps its host.
     */
    async save (
      tenant: { id: number, code: string, path: string }, mount: string, name: string, input: EndpointInput, by: string, allowPrivate: boolean | undefined
    ): Promise<{ endpoint: Endpoint, created: boolean }> {
      const existing = await find(tenant.id, mount, name)
      const kind = AUTH_KINDS[input.auth.kind]
      const options: Record<string, string> = {}
      const secrets: Record<string, string> = {}
      for (const [field, value] of Object.entries(input.auth)) {
        if (field === 'kind') continue
        if (kind.secrets.includes(field)) secrets[field] = value
        else if (field in kind.options) options[field] = value
        else throw new EndpointInvalid(`auth/${field}`, `'${field}' is not a setting of ${input.auth.kind} authentication`)
      }
      if (existing !== undefined && existing.auth.kind === input.auth.kind) {
        for (const field of kind.secrets) {
          const kept = existing.auth.secrets[field]
          if (secrets[field] === undefined && kept !== undefined) secrets[field] = kept
        }
      }
      for (const field of kind.required) {
        if (options[field] === undefined && secrets[field] === undefined) throw new EndpointInvalid(`auth/${field}`, `${input.auth.kind} authentication needs '${field}'`)
      }
      const base = urlOf(input.baseUrl, 'baseUrl')
      if (input.auth.kind === 'mtls' && base.protocol !== 'https:') throw new EndpointInvalid('baseUrl', 'mutual TLS needs an https base URL')
      if (base.username !== '' || base.password !== '') throw new EndpointInvalid('baseUrl', 'credentials go in auth, never in the URL')
      if (input.auth.kind === 'oauth2') {
        const tokenUrl = urlOf(options.tokenUrl!, 'auth/tokenUrl')
        if (!['http:', 'https:'].includes(tokenUrl.protocol) || tokenUrl.username !== '' || tokenUrl.password !== '') throw new EndpointInvalid('auth/tokenUrl', 'the token URL is a plain http(s) URL')
      }
      const sameHost = existing !== undefined && new URL(existing.baseUrl).host === base.host &&
        (input.auth.kind !== 'oauth2' || existing.auth.options.tokenUrl === options.tokenUrl)
      const privateAllowed = allowPrivate ?? (sameHost && existing.allowPrivate)
      const now = new Date().toISOString()
      const row = {
        tenant_id: tenant.id,
        mount,
        name,
        base_url: base.href.replace(/\/+$/, ''),
        auth_kind: input.auth.kind,
        auth_options: JSON.stringify(options),
        sealed: Object.keys(secrets).length === 0 ? null : box.seal(JSON.stringify(secrets), sealContext(tenant.id, mount, name)),
        // Left out: the CA set stays; null: none.
        ca: input.ca === undefined ? existing?.ca ?? null : input.ca,
        timeout_ms: input.timeoutMs ?? 5000,
        retries: input.retries ?? 2,
        rate_per_minute: input.ratePerMinute ?? null,
        breaker_failures: input.breaker?.failures ?? 5,
        breaker_open_ms: input.breaker?.openMs ?? 30_000,
        allow_private: privateAllowed,
        log_bodies: input.logBodies ?? false,
        updated_at: now,
        updated_by: by,
      }
      await db.knex.transaction(async (trx) => {
        if (existing === undefined) await trx('exchange_endpoints').insert(row)
        else await trx('exchange_endpoints').where({ id: existing.id }).update(row)
        await changes.publish(trx, ENDPOINTS_CHANGED, { tenant: tenant.code, mount, name })
      })
      cache.clear()
      return { endpoint: (await find(tenant.id, mount, name))!, created: existing === undefined }
    },

    async remove (tenant: { id: number, code: string }, mount: string, name: string): Promise<boolean> {
      const removed = await db.knex.transaction(async (trx) => {
        const count = await trx('exchange_endpoints').where({ tenant_id: tenant.id, mount, name }).delete()
        if (count > 0) await changes.publish(trx, ENDPOINTS_CHANGED, { tenant: tenant.code, mount, name })
        return count > 0
      })
      cache.clear()
      return removed
    },

    /**
     * The endpoint a call from an installation serving `spec`'s unit uses: the one that unit set at the mount, else
     * the one set where the installation is (the province's, for a commune that inherits it). Cached until a change.
     */
    async resolve (spec: { tenant: string, tenantId: number, tenantPath: string, mount: string }, name: string): Promise<Endpoint | undefined> {
      const key = `${spec.tenantId}/${spec.mount}/${name}`
      const kept = cache.get(key)
      if (kept !== undefined && changes.healthy && Date.now() - kept.at < 60_000) return kept.endpoint
      const started = generation
      let endpoint = await find(spec.tenantId, spec.mount, name)
      if (endpoint === undefined) {
        const installation = await servingAt(db, { code: spec.tenant, path: spec.tenantPath }, spec.mount)
        const installedAt = installation === undefined ? spec.tenantId : Number(installation.tenant_id)
        if (installedAt !== spec.tenantId) endpoint = await find(installedAt, spec.mount, name)
      }
      if (generation === started) {
        if (cache.size > 10_000) cache.clear()
        cache.set(key, { endpoint, at: Date.now() })
      }
      return endpoint
    },
  }
}

export type Endpoints = ReturnType<typeof createEndpoints>

/** A setting an endpoint cannot take, with the field it is in. */
export class EndpointInvalid extends Error {
  readonly field: string
  constructor (field: string, message: string) {
    super(message)
    this.field = field
  }
}

/** `text` as a URL, or EndpointInvalid naming `field` (a pattern lets through what the URL parser refuses). */
function urlOf (text: string, field: string): URL {
  try {
    return new URL(text)
  } catch {
    throw new EndpointInvalid(field, `'${text.slice(0, 100)}' is not a URL`)
  }
}

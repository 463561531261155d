import type { Database, Row } from '../../db/database.ts'
import { toBoolean } from '../../db/database.ts'
import type { SecretBox } from '../secret-box.ts'

/** Which claim of the ID token (or userinfo) carries each fact about the person. */
export interface ClaimMapping {
  identityNumber: string
  fullName: string
  birthDate: string
  /** A unit code (a tenant at or below the provider's) the person is homed at; optional. */
  unit?: string | undefined
}

export const DEFAULT_CLAIMS: ClaimMapping = { identityNumber: 'identity_number', fullName: 'name', birthDate: 'birthdate' }

export interface IdentityProvider {
  id: number
  code: string
  name: string
  /** Where it was configured: new users are homed here (or below, by the unit claim). */
  tenant: { id: number, code: string, path: string }
  issuer: string
  clientId: string
  scopes: string
  claims: ClaimMapping
  enabled: boolean
  createdBy: string
  createdAt: string
  updatedAt: string
}

const columns = 'p.id, p.code, p.name, p.issuer, p.client_id, p.scopes, p.claims, p.enabled, p.created_by, p.created_at, p.updated_at, t.id as tenant_id, t.code as tenant_code, t.path as tenant_path'

function toProvider (row: Row): IdentityProvider {
  return {
    id: Number(row.id),
    code: String(row.code),
    name: String(row.name),
    tenant: { id: Number(row.tenant_id), code: String(row.tenant_code), path: String(row.tenant_path) },
    issuer: String(row.issuer),
    clientId: String(row.client_id),
    scopes: String(row.scopes),
    claims: { ...DEFAULT_CLAIMS, ...JSON.parse(String(row.claims)) as Partial<ClaimMapping> },
    enabled: toBoolean(row.enabled),
    createdBy: String(row.created_by),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  }
}

export async function findProvider (db: Database, code: string): Promise<IdentityProvider | undefined> {
  const [row] = await db.read(`select ${columns} from identity_providers p join tenants t on t.id = p.tenant_id where p.code = ?`, [code])
  return row === undefined ? undefined : toProvider(row)
}

/** Providers configured at a unit. */
export async function providersAt (db: Database, tenantId: number): Promise<IdentityProvider[]> {
  return (await db.read(`select ${columns} from identity_providers p join tenants t on t.id = p.tenant_id where p.tenant_id = ? order by p.code`, [tenantId])).map(toProvider)
}

/** The enabled providers a sign-in page offers: every one (the national first, then by unit). */
export async function enabledProviders (db: Database): Promise<IdentityProvider[]> {
  const rows = await db.read(`select ${columns} from identity_providers p join tenants t on t.id = p.tenant_id order by length(t.path), p.code`)
  return rows.map(toProvider).filter((provider) => provider.enabled)
}

export function clientSecretOf (db: Database, box: SecretBox, provider: IdentityProvider): Promise<string> {
  return db.knex('identity_providers').where({ id: provider.id }).first('client_secret_sealed')
    .then((row) => box.open(String(row?.client_secret_sealed), `identity-provider:${provider.code}`))
}

export function sealClientSecret (box: SecretBox, code: string, secret: string): string {
  return box.seal(secret, `identity-provider:${code}`)
}

export function providerView (provider: IdentityProvider, redirectUri: string): Record<string, unknown> {
  return {
    code: provider.code,
    name: provider.name,
    tenant: provider.tenant.code,
    issuer: provider.issuer,
    clientId: provider.clientId,
    scopes: provider.scopes,
    claims: provider.claims,
    enabled: provider.enabled,
    redirectUri,
    backchannelLogoutUri: redirectUri.replace(/\/callback$/, '/backchannel-logout'),
    createdBy: provider.createdBy,
    createdAt: provider.createdAt,
    updatedAt: provider.updatedAt,
  }
}

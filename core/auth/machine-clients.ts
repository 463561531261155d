import { createHash, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto'
import { importX509, jwtVerify, decodeProtectedHeader } from 'jose'
import type { Database } from '../db/database.ts'
import { toBoolean } from '../db/database.ts'

/**
 * Other agencies' systems (docs/exchange.md, "Systems that call the platform"). A client is a `users` row of kind
 * `client` (its grants are its roles, disabling it refuses its tokens at once, as for a person) with a secret, kept as
 * its SHA-256 (it is 32 random bytes, not a password), or a certificate whose key signs its token requests
 * (RFC 7523 `private_key_jwt`). It cannot sign in with a password, and its tokens reach plugin routes only.
 */

export interface MachineClient {
  id: number
  userId: number
  clientId: string
  name: string
  tenant: string
  disabled: boolean
  tokenVersion: number
  certificateSha256: string | null
  certificate: string | null
  secretHash: string | null
  createdAt: string
  createdBy: string
  lastTokenAt: string | null
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const sha256 = (value: string | Buffer): string => createHash('sha256').update(value).digest('hex')

export const newClientSecret = (): { secret: string, hash: string } => {
  const secret = randomBytes(32).toString('base64url')
  return { secret, hash: sha256(secret) }
}

/** A certificate a client registers: PEM, parseable, valid now; its SHA-256 fingerprint. */
export function checkedCertificate (pem: string): { pem: string, sha256: string } | string {
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(pem)
  } catch {
    return 'the certificate is not a PEM X.509 certificate'
  }
  const now = Date.now()
  if (Date.parse(certificate.validFrom) > now || Date.parse(certificate.validTo) < now) return `the certificate is not valid now (${certificate.validFrom} – ${certificate.validTo})`
  return { pem: certificate.toString(), sha256: certificate.fingerprint256.replace(/:/g, '').toLowerCase() }
}

export async function findClient (db: Database, clientId: string): Promise<MachineClient | undefined> {
  const row = await db.knex('machine_clients as c').join('users as u', 'u.id', 'c.user_id').join('tenants as t', 't.id', 'u.home_tenant_id')
    .where('u.username', clientId).where('u.kind', 'client')
    .first('c.*', 'u.username', 'u.disabled', 'u.token_version', 't.code as tenant')
  return row === undefined ? undefined : clientOf(row)
}

export async function clientsAt (db: Database, tenantId: number): Promise<MachineClient[]> {
  const rows = await db.knex('machine_clients as c').join('users as u', 'u.id', 'c.user_id').join('tenants as t', 't.id', 'u.home_tenant_id')
    .where('u.home_tenant_id', tenantId).where('u.kind', 'client').orderBy('u.username')
    .select('c.*', 'u.username', 'u.disabled', 'u.token_version', 't.code as tenant')
  return rows.map(clientOf)
}

function clientOf (row: Record<string, unknown>): MachineClient {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    clientId: String(row.username),
    name: String(row.name),
    tenant: String(row.tenant),
    disabled: toBoolean(row.disabled),
    tokenVersion: Number(row.token_version),
    certificateSha256: row.certificate_sha256 === null ? null : String(row.certificate_sha256),
    certificate: row.certificate === null ? null : String(row.certificate),
    secretHash: row.secret_hash === null ? null : String(row.secret_hash),
    createdAt: String(row.created_at),
    createdBy: String(row.created_by),
    lastTokenAt: row.last_token_at === null ? null : String(row.last_token_at),
  }
}

export function clientView (client: MachineClient, roles: string[]): Record<string, unknown> {
  return {
    clientId: client.clientId,
    name: client.name,
    tenant: client.tenant,
    roles,
    auth: client.certificateSha256 === null ? 'secret' : 'certificate',
    certificateSha256: client.certificateSha256,
    disabled: client.disabled,
    createdAt: client.createdAt,
    createdBy: client.createdBy,
    lastTokenAt: client.lastTokenAt,
  }
}

export function secretMatches (client: MachineClient, secret: string): boolean {
  if (client.secretHash === null) return false
  return timingSafeEqual(Buffer.from(sha256(secret), 'hex'), Buffer.from(client.secretHash, 'hex'))
}

/** `jti`s of assertions already used, until they expire (this node; an assertion lives at most five minutes). */
const usedAssertions = new Map<string, number>()

/**
 * A client assertion (RFC 7523 §3): a JWT its certificate's key signed, issued and subject the client, for the token
 * endpoint (`aud` ending `/api/v1/auth/client-token`), expiring within five minutes, with a `jti` used once.
 * The reason it fails, or undefined when it holds.
 */
export async function assertionProblem (client: MachineClient, assertion: string): Promise<string | undefined> {
  if (client.certificate === null) return 'this client authenticates with a secret'
  const certificate = new X509Certificate(client.certificate)
  if (Date.parse(certificate.validTo) < Date.now()) return 'the client\'s certificate has expired'
  let alg: string
  try {
    alg = String(decodeProtectedHeader(assertion).alg)
  } catch {
    return 'the assertion is not a JWT'
  }
  if (!['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'].includes(alg)) return `the assertion's algorithm ${alg.slice(0, 16)} is not accepted`
  try {
    const key = await importX509(client.certificate, alg)
    const { payload } = await jwtVerify(assertion, key, { issuer: client.clientId, subject: client.clientId, maxTokenAge: '5m', requiredClaims: ['exp', 'jti', 'aud'] })
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
    if (!audiences.some((aud) => typeof aud === 'string' && aud.endsWith('/api/v1/auth/client-token'))) return 'the assertion is not for this token endpoint'
    if ((payload.exp ?? 0) - Date.now() / 1000 > 300) return 'the assertion lives longer than five minutes'
    const jti = String(payload.jti)
    const now = Date.now()
    for (const [used, until] of usedAssertions) if (until < now) usedAssertions.delete(used)
    if (usedAssertions.has(`${client.clientId}|${jti}`)) return 'the assertion was used already'
    usedAssertions.set(`${client.clientId}|${jti}`, (payload.exp ?? 0) * 1000)
    return undefined
  } catch (error) {
    return `the assertion does not verify: ${(error as Error).message.slice(0, 120)}`
  }
}

import { appendAudit } from '../../audit/audit-log.ts'
import { transaction, type Database } from '../../db/database.ts'
import type { ChangeFeed } from '../../events/change-feed.ts'
import { isAtOrBelow } from '../../tenancy/access.ts'
import { findTenant } from '../../tenancy/tenants.ts'
import { createUser, findUser, updateUser } from '../../tenancy/users.ts'
import { generatePassword } from '../passwords.ts'
import type { IdentityNumbers } from '../identity-numbers.ts'
import type { IdentityProvider } from './identity-providers.ts'
import { OidcFailure, type VerifiedClaims } from './oidc-sign-in.ts'

const claimText = (claims: VerifiedClaims, name: string | undefined): string | undefined => {
  if (name === undefined) return undefined
  const value = claims[name]
  return typeof value === 'string' || typeof value === 'number' ? String(value).normalize('NFC').trim() : undefined
}

/**
 * The local user a provider's person is: found by identity number (its keyed hash), never by name or e-mail; created at
 * the first sign-in otherwise, homed at the unit the unit claim names (at or below the provider's unit) or at the
 * provider's unit, with no grant (roles come only from grants on the platform) and a password nobody knows.
 */
export async function linkPerson (
  deps: { db: Database, changes: ChangeFeed, identityNumbers: IdentityNumbers }, provider: IdentityProvider, claims: VerifiedClaims, requestId: string
): Promise<{ userId: number, username: string, created: boolean }> {
  const { db, changes, identityNumbers } = deps
  const number = claimText(claims, provider.claims.identityNumber)?.replace(/\s/g, '')
  if (number === undefined || !identityNumbers.valid(number)) throw new OidcFailure(`no identity number (9 or 12 digits) in claim '${provider.claims.identityNumber}'`)
  const hash = identityNumbers.hash(number)
  const [linked] = await db.read('select id, username from users where identity_number_hash = ?', [hash])
  if (linked !== undefined) return { userId: Number(linked.id), username: String(linked.username), created: false }

  let home = await findTenant(db, provider.tenant.code)
  const unit = claimText(claims, provider.claims.unit)
  if (unit !== undefined) {
    const named = await findTenant(db, unit.toLowerCase())
    if (named !== undefined && isAtOrBelow(named.path, provider.tenant.path)) home = named
  }
  if (home === undefined) throw new OidcFailure(`the provider's unit ${provider.tenant.code} no longer exists`)
  const displayName = (claimText(claims, provider.claims.fullName) ?? '').slice(0, 200) || `${provider.name} ${number.slice(-3)}`
  const username = `${provider.code}-${hash.slice(0, 12)}`.slice(0, 64)
  return transaction(db, async (trx) => {
    const user = await createUser(trx, changes, home, { username, password: generatePassword() + generatePassword(), displayName })
    await updateUser(trx, changes, user, { identity: identityNumbers.protect(number) })
    await appendAudit(trx, { actor: null, action: 'user.create', tenant: home.code, target: username, details: { via: `oidc:${provider.code}` }, requestId })
    return { userId: user.id, username, created: true }
  }).catch(async (error) => {
    // Two first sign-ins of one person racing: the other created the user; use it.
    const again = await findUser(db, username)
    if (again !== undefined) return { userId: again.id, username, created: false }
    throw error
  })
}

import type { Knex } from 'knex'
import { isUniqueViolation, toBoolean, type Database, type Row } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import type { ChangeFeed } from '../events/change-feed.ts'
import { PRINCIPAL_CHANGED } from './principal-changed.ts'
import { hashPassword } from '../auth/passwords.ts'
import { rememberPassword } from '../auth/password-policy.ts'
import type { ProtectedIdentityNumber } from '../auth/identity-numbers.ts'
import { insertedId, type Tenant } from './tenants.ts'

export interface User {
  id: number
  username: string
  displayName: string
  tenant: string
  disabled: boolean
  /** The last three digits of the user's identity number, when one is linked. */
  identityNumberHint: string | null
  createdAt: string
  updatedAt: string
}

export const USERNAME_PATTERN = '^[a-z0-9][a-z0-9._-]{1,63}$'
const userColumns = 'u.id, u.username, u.display_name, u.disabled, u.identity_number_hint, u.created_at, u.updated_at, t.code as tenant_code'

function toUser (row: Row): User {
  return {
    id: Number(row.id),
    username: String(row.username),
    displayName: String(row.display_name),
    tenant: String(row.tenant_code),
    disabled: toBoolean(row.disabled),
    identityNumberHint: row.identity_number_hint == null ? null : String(row.identity_number_hint),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  }
}

/** The public view of a user: never its password hash or token version. */
export function userView (user: User): Record<string, unknown> {
  return {
    username: user.username,
    displayName: user.displayName,
    tenant: user.tenant,
    disabled: user.disabled,
    identityNumber: user.identityNumberHint === null ? null : `*********${user.identityNumberHint}`,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  }
}

export async function findUser (db: Database, username: string): Promise<User | undefined> {
  const rows = await db.read(`select ${userColumns} from users u join tenants t on t.id = u.home_tenant_id where u.username = ?`, [username])
  return rows[0] === undefined ? undefined : toUser(rows[0])
}

export async function listUsers (db: Database, tenant: Tenant): Promise<User[]> {
  const rows = await db.read(`select ${userColumns} from users u join tenants t on t.id = u.home_tenant_id where u.home_tenant_id = ? order by u.username`, [tenant.id])
  return rows.map(toUser)
}

export interface NewUser {
  username: string
  password: string
  displayName?: string | undefined
}

export async function createUser (trx: Knex.Transaction, changes: ChangeFeed, tenant: Tenant, input: NewUser): Promise<User> {
  const existing = await trx('users').where({ username: input.username }).first('id')
  if (existing !== undefined) throw CoreError.userExists(`username '${input.username}' is taken`, { field: 'username' })
  const now = new Date().toISOString()
  const row = {
    username: input.username,
    password_hash: await hashPassword(input.password),
    display_name: input.displayName ?? input.username,
    home_tenant_id: tenant.id,
    disabled: false,
    token_version: 0,
    created_at: now,
    updated_at: now,
    last_active_at: now,
    password_changed_at: now,
  }
  let inserted: unknown
  try {
    [inserted] = await trx('users').insert(row).returning('id')
  } catch (error) {
    if (isUniqueViolation(error)) throw CoreError.userExists(`username '${input.username}' is taken`, { field: 'username' })
    throw error
  }
  const id = insertedId(inserted)
  await changes.publish(trx, PRINCIPAL_CHANGED, { userId: id })
  return {
    id, username: row.username, displayName: row.display_name, tenant: tenant.code, disabled: false, identityNumberHint: null, createdAt: now, updatedAt: now,
  }
}

export interface UserChange {
  displayName?: string | undefined
  disabled?: boolean | undefined
  password?: string | undefined
  /** An identity number to link (protected by the caller: core/auth/identity-numbers.ts), or null to unlink. */
  identity?: ProtectedIdentityNumber | null | undefined
}

/**
 * Changes a user. Disabling it or changing its password bumps its token version, which refuses
 * every token issued before, on the next request.
 */
export async function updateUser (trx: Knex.Transaction, changes: ChangeFeed, user: User, change: UserChange): Promise<User> {
  const now = new Date().toISOString()
  const update: Record<string, unknown> = { updated_at: now }
  if (change.displayName !== undefined) update.display_name = change.displayName
  if (change.disabled !== undefined) update.disabled = change.disabled
  if (change.password !== undefined) {
    const old = await trx('users').where({ id: user.id }).first('password_hash')
    if (old !== undefined) await rememberPassword(trx, user.id, String(old.password_hash))
    update.password_hash = await hashPassword(change.password)
    update.password_changed_at = now
  }
  if (change.identity !== undefined) {
    Object.assign(update, change.identity === null
      ? { identity_number_sealed: null, identity_number_hash: null, identity_number_hint: null }
      : { identity_number_sealed: change.identity.sealed, identity_number_hash: change.identity.hash, identity_number_hint: change.identity.hint })
    const other = change.identity === null ? undefined : await trx('users').where({ identity_number_hash: change.identity.hash }).whereNot({ id: user.id }).first('id')
    if (other !== undefined) throw CoreError.userExists('another user is linked to this identity number', { field: 'identityNumber' })
  }
  // Enabling a user again starts its inactivity clock anew.
  if (change.disabled === false) update.last_active_at = now
  const revokesTokens = change.password !== undefined || change.disabled === true
  const query = trx('users').where({ id: user.id }).update(update)
  if (revokesTokens) query.increment('token_version', 1)
  await query
  await changes.publish(trx, PRINCIPAL_CHANGED, { userId: user.id })
  const identityNumberHint = change.identity === undefined ? user.identityNumberHint : change.identity?.hint ?? null
  return { ...user, displayName: change.displayName ?? user.displayName, disabled: change.disabled ?? user.disabled, identityNumberHint, updatedAt: now }
}

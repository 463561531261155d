import { appendAudit, recordAudit } from '../audit/audit-log.ts'
import { toBoolean, transaction } from '../db/database.ts'
import { CoreError } from '../errors.ts'
import type { Services } from '../services.ts'
import type { Principal } from '../tenancy/access.ts'
import { factorKinds, loadPrincipal } from '../tenancy/grants.ts'
import { PRINCIPAL_CHANGED } from '../tenancy/principal-changed.ts'
import { userView, findUser } from '../tenancy/users.ts'
import type { IssuedSession } from './sessions.ts'
import type { External, Step } from './sign-in-tickets.ts'

export interface FirstFactor {
  userId: number
  /** `password`, or `oidc:<provider>`. */
  method: string
  address: string
  agent?: string | undefined
  requestId: string
  /** Through an identity provider: who it said signed in, and its session. */
  external?: External | undefined
}

/** What a sign-in answers: a session, or the next step and the ticket for it. */
export type SignInAnswer =
  | (IssuedSession & { user: Record<string, unknown> | null, passwordExpiresAt?: string | undefined })
  | { next: Step, ticket: string, ticketExpiresAt: string, factors: string[] }

const DAY_MS = 24 * 3600_000

/** When an administrator's password must be changed by; undefined for users the rotation does not apply to. */
export function passwordExpiry (services: Pick<Services, 'config' | 'identity'>, principal: Pick<Principal, 'grants'>, changedAt: unknown): Date | undefined {
  if (!services.identity.factorPolicy.requires(principal) || changedAt == null) return undefined
  return new Date(Date.parse(String(changedAt)) + services.config.adminPasswordDays * DAY_MS)
}

/**
 * After a first factor held (a password, or an identity provider's ID token): the account policy, then a session, or
 * the step still needed — a new password (an administrator's older than NENTANG_ADMIN_PASSWORD_DAYS), a second factor
 * (holders of NENTANG_MFA_ROLES), or enrolling one when they have none. An account unused for NENTANG_INACTIVE_DAYS is
 * disabled here (audited) and refused.
 */
export async function afterFirstFactor (services: Services, first: FirstFactor): Promise<SignInAnswer> {
  const { db, config } = services
  const [row] = await db.read('select username, disabled, token_version, last_active_at, password_changed_at from users where id = ?', [first.userId])
  const state = await loadPrincipal(db, first.userId)
  if (row === undefined || state === undefined || toBoolean(row.disabled)) throw CoreError.badCredentials('Wrong username or password.')
  const username = String(row.username)
  const lastActive = row.last_active_at == null ? undefined : Date.parse(String(row.last_active_at))
  if (lastActive !== undefined && Date.now() - lastActive > config.inactiveDays * DAY_MS) {
    await disableInactive(services, first.userId, username, state.principal.home.code, first.requestId)
    throw CoreError.accountInactive(`the account was unused for more than ${config.inactiveDays} days and is locked; a unit administrator can enable it again`)
  }
  const expiry = passwordExpiry(services, state.principal, row.password_changed_at)
  if (services.identity.factorPolicy.requires(state.principal)) {
    const factors = await factorKinds(services.db, first.userId)
    const step: Step = first.method === 'password' && expiry !== undefined && expiry.getTime() <= Date.now() ? 'password' : factors.length > 0 ? 'factor' : 'enrol'
    const ticket = await services.identity.tickets.issue(first.userId, first.method, step, first.address, first.external)
    await recordAudit(db, { actor: username, action: 'auth.first-factor', tenant: state.principal.home.code, details: { address: first.address, method: first.method, next: step }, requestId: first.requestId })
    return { next: step, ...ticket, factors }
  }
  return begin(services, first, false, row, state.principal)
}

/** Opens the session once every step is done (a second factor shown, or enrolled), audited as the sign-in. */
export async function openSession (services: Services, first: FirstFactor, factor: boolean): Promise<SignInAnswer> {
  const [row] = await services.db.read('select username, token_version, password_changed_at from users where id = ?', [first.userId])
  const state = await loadPrincipal(services.db, first.userId)
  if (row === undefined || state === undefined) throw CoreError.badCredentials('Wrong username or password.')
  return begin(services, first, factor, row, state.principal)
}

/** The session itself, for a user already read (`row`: username, token version, last password change). */
async function begin (services: Services, first: FirstFactor, factor: boolean, row: Record<string, unknown>, principal: Principal): Promise<SignInAnswer> {
  const { db } = services
  const start = { method: first.method, factor, address: first.address, agent: first.agent, external: first.external }
  const issued = await services.identity.sessions.open(first.userId, Number(row.token_version), start)
  const user = await findUser(db, String(row.username))
  await recordAudit(db, { actor: String(row.username), action: 'auth.sign-in', tenant: user?.tenant ?? null, details: { address: first.address, method: first.method, factor }, requestId: first.requestId })
  const expiry = passwordExpiry(services, principal, row.password_changed_at)
  return { ...issued, user: user === undefined ? null : userView(user), ...(expiry === undefined ? {} : { passwordExpiresAt: expiry.toISOString() }) }
}

/** Disables an account found unused too long, once (audited `user.inactive-disabled`). */
export async function disableInactive (services: Pick<Services, 'db' | 'changes'>, userId: number, username: string, tenant: string, requestId: string | null): Promise<void> {
  await transaction(services.db, async (trx) => {
    const changed = await trx('users').where({ id: userId, disabled: false }).update({ disabled: true, updated_at: new Date().toISOString() }).increment('token_version', 1)
    if (changed === 0) return
    await services.changes.publish(trx, PRINCIPAL_CHANGED, { userId })
    await appendAudit(trx, { actor: null, action: 'user.inactive-disabled', tenant, target: username, requestId })
  })
}

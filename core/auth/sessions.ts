import { randomUUID } from 'node:crypto'
import type { Database } from '../db/database.ts'
import { transaction } from '../db/database.ts'
import type { ChangeFeed } from '../events/change-feed.ts'
import { PRINCIPAL_CHANGED } from '../tenancy/principal-changed.ts'
import { ENDED_SESSION_MEMORY_MS } from './session-memory.ts'
import type { IssuedRefresh, RefreshTokens, Renewal } from './refresh-tokens.ts'
import type { External } from './sign-in-tickets.ts'
import type { TokenService } from './tokens.ts'

/** How a session began. */
export interface SessionStart {
  /** `password`, or `oidc:<provider code>`. */
  method: string
  /** A second factor was shown when it began. */
  factor: boolean
  address?: string | undefined
  agent?: string | undefined
  /** Begun through an identity provider: its subject and session. */
  external?: External | undefined
}

export interface IssuedSession extends IssuedRefresh {
  token: string
  expiresAt: string
  sessionId: string
}

export interface SessionView {
  id: string
  method: string
  address: string | null
  agent: string | null
  createdAt: string
  lastUsedAt: string
  /** When a second factor was last shown in it. */
  factorAt: string | null
}

const seconds = (iso: string | null | undefined): number | undefined => iso == null ? undefined : Math.floor(Date.parse(iso) / 1000)

/**
 * Sessions (OWASP ASVS V7): each sign-in opens one, with a row its user can see (how it began, from where, when last
 * used) and end. Its bearer tokens carry its id, and its refresh tokens are one family of that id. Ending a session
 * ends its refresh tokens and publishes the user's change, so every node's principal cache learns the ended id and
 * refuses its bearer tokens on their next request.
 */
export function createSessions (db: Database, tokens: TokenService, refreshTokens: RefreshTokens, changes: ChangeFeed, sessionTtlSeconds: number) {
  async function bearer (userId: number, tokenVersion: number, session: string, factorAt: string | null | undefined) {
    return tokens.issue(userId, tokenVersion, { session, factorAt: seconds(factorAt) })
  }

  async function end (userId: number, where: { id?: string, exceptId?: string }): Promise<number> {
    const now = new Date().toISOString()
    return transaction(db, async (trx) => {
      const query = trx('sessions').where({ user_id: userId }).whereNull('ended_at')
      if (where.id !== undefined) query.where({ id: where.id })
      if (where.exceptId !== undefined) query.whereNot({ id: where.exceptId })
      const ids = (await query.clone().select('id')).map((row) => String(row.id))
      if (ids.length === 0) return 0
      await trx('sessions').whereIn('id', ids).update({ ended_at: now })
      await trx('refresh_tokens').whereIn('family', ids).whereNull('revoked_at').update({ revoked_at: now })
      await changes.publish(trx, PRINCIPAL_CHANGED, { userId })
      return ids.length
    })
  }

  return {
    /** Opens a session for a user whose first (and, where required, second) factor held. */
    async open (userId: number, tokenVersion: number, start: SessionStart): Promise<IssuedSession> {
      const id = randomUUID()
      const now = new Date().toISOString()
      const factorAt = start.factor ? now : null
      await db.knex('sessions').insert({
        id,
        user_id: userId,
        method: start.method,
        factor_at: factorAt,
        address: start.address?.slice(0, 64) ?? null,
        agent: start.agent?.slice(0, 200) ?? null,
        external_subject: start.external?.subject ?? null,
        external_session: start.external?.session ?? null,
        created_at: now,
        last_used_at: now,
      })
      await db.knex('users').where({ id: userId }).update({ last_active_at: now })
      const issued = await bearer(userId, tokenVersion, id, factorAt)
      const refresh = await refreshTokens.issue(userId, tokenVersion, id)
      return { ...issued, ...refresh, sessionId: id }
    },

    /** A new bearer token and the next refresh token, if the session stands. */
    async renew (refreshToken: string, requestId: string): Promise<{ ok: true, userId: number, issued: IssuedSession } | Extract<Renewal, { ok: false }>> {
      const renewal = await refreshTokens.renew(refreshToken, requestId)
      if (!renewal.ok) return renewal
      const now = new Date().toISOString()
      const [session] = await db.knex('sessions').where({ id: renewal.family }).select('factor_at', 'ended_at')
      if (session?.ended_at != null) return { ok: false, reason: 'signed-out' }
      await db.knex('sessions').where({ id: renewal.family }).update({ last_used_at: now })
      await db.knex('users').where({ id: renewal.userId }).update({ last_active_at: now })
      const issued = await bearer(renewal.userId, renewal.tokenVersion, renewal.family, session?.factor_at)
      return { ok: true, userId: renewal.userId, issued: { ...issued, ...renewal.refresh, sessionId: renewal.family } }
    },

    /** Records a second factor just shown in a session (step-up) and gives a bearer token that says so. */
    async stepUp (userId: number, tokenVersion: number, sessionId: string): Promise<{ token: string, expiresAt: string }> {
      const now = new Date().toISOString()
      await db.knex('sessions').where({ id: sessionId, user_id: userId }).update({ factor_at: now, last_used_at: now })
      return bearer(userId, tokenVersion, sessionId, now)
    },

    /** The user's sessions that still stand, newest first. */
    async list (userId: number): Promise<SessionView[]> {
      const since = new Date(Date.now() - sessionTtlSeconds * 1000).toISOString()
      const rows = await db.knex('sessions').where({ user_id: userId }).whereNull('ended_at').where('last_used_at', '>', since)
        .orderBy('created_at', 'desc').limit(200)
      return rows.map((row) => ({
        id: String(row.id),
        method: String(row.method),
        address: row.address == null ? null : String(row.address),
        agent: row.agent == null ? null : String(row.agent),
        createdAt: String(row.created_at),
        lastUsedAt: String(row.last_used_at),
        factorAt: row.factor_at == null ? null : String(row.factor_at),
      }))
    },

    /** Ends one of a user's sessions; false when it was not theirs or had ended. */
    async end (userId: number, sessionId: string): Promise<boolean> {
      return (await end(userId, { id: sessionId })) > 0
    },

    /**
     * Ends the sessions an identity provider says have ended (its back-channel logout): by its session id, else every
     * session of its subject begun through it. How many.
     */
    async endExternal (method: string, external: External): Promise<number> {
      const query = db.knex('sessions').where({ method }).whereNull('ended_at')
      if (external.session !== null) query.where({ external_session: external.session })
      else if (external.subject !== null) query.where({ external_subject: external.subject })
      else return 0
      const rows = await query.select('id', 'user_id')
      let ended = 0
      for (const row of rows) ended += await end(Number(row.user_id), { id: String(row.id) })
      return ended
    },

    /** Ends every session of a user but `exceptId`; how many. */
    async endAll (userId: number, exceptId?: string): Promise<number> {
      return end(userId, exceptId === undefined ? {} : { exceptId })
    },

    /** Ends the session a refresh token belongs to (sign-out); whose it was, when it was one. */
    async signOut (refreshToken: string): Promise<{ username: string, tenant: string } | undefined> {
      const owner = await refreshTokens.owner(refreshToken)
      if (owner === undefined) return undefined
      await end(owner.userId, { id: owner.family })
      await refreshTokens.endFamily(owner.family)
      return owner.user
    },

    /** Drops what can never be used again, so the tables hold live sessions. */
    async sweep (): Promise<void> {
      await refreshTokens.sweep()
      const forgotten = new Date(Date.now() - ENDED_SESSION_MEMORY_MS).toISOString()
      await db.knex('sessions').where('ended_at', '<', forgotten).delete()
      const unused = new Date(Date.now() - sessionTtlSeconds * 1000 - ENDED_SESSION_MEMORY_MS).toISOString()
      await db.knex('sessions').whereNull('ended_at').where('last_used_at', '<', unused).delete()
    },
  }
}

export type Sessions = ReturnType<typeof createSessions>

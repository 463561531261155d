import { createHash, randomBytes } from 'node:crypto'
import { recordAudit } from '../audit/audit-log.ts'
import type { Database } from '../db/database.ts'
import { loadPrincipal } from '../tenancy/grants.ts'

export interface IssuedRefresh {
  refreshToken: string
  refreshExpiresAt: string
}

/** Whose session a refresh token renewed, or why it did not. */
export type Renewal =
  | { ok: true, userId: number, tokenVersion: number, family: string, refresh: IssuedRefresh }
  | { ok: false, reason: 'unknown' | 'expired' | 'reused' | 'signed-out' | 'user-changed' }

const hash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex')
const TOKEN = /^[A-Za-z0-9_-]{43}$/

/**
 * Refresh tokens (RFC 6749 §10.4 with rotation, as OAuth 2.0 Security BCP §4.14 has it): 256 random bits, kept as
 * SHA-256 hashes. Each renewal uses its token up and gives the next of the same family; a used token shown again means
 * two holders, so the family ends for both. A session unused for `ttlSeconds` ends; so does every session of a user
 * who is disabled or changes password (the token version recorded at issue no longer matches).
 */
export function createRefreshTokens (db: Database, ttlSeconds: number) {
  async function issue (userId: number, tokenVersion: number, family: string): Promise<IssuedRefresh> {
    const refreshToken = randomBytes(32).toString('base64url')
    const now = new Date()
    const refreshExpiresAt = new Date(now.getTime() + ttlSeconds * 1000).toISOString()
    await db.knex('refresh_tokens').insert({
      token_hash: hash(refreshToken), family, user_id: userId, token_version: tokenVersion, created_at: now.toISOString(), expires_at: refreshExpiresAt,
    })
    return { refreshToken, refreshExpiresAt }
  }

  async function endFamily (family: string): Promise<void> {
    await db.knex('refresh_tokens').where({ family }).whereNull('revoked_at').update({ revoked_at: new Date().toISOString() })
  }

  return {
    issue,
    endFamily,

    /** Uses `token` up and gives the next of its family, if the session still stands. */
    async renew (token: string, requestId: string): Promise<Renewal> {
      if (!TOKEN.test(token)) return { ok: false, reason: 'unknown' }
      const now = new Date().toISOString()
      const tokenHash = hash(token)
      // One statement decides, so of two renewals with one token exactly one wins.
      const used = await db.knex('refresh_tokens').where({ token_hash: tokenHash }).whereNull('used_at').whereNull('revoked_at').where('expires_at', '>', now).update({ used_at: now })
      const [row] = await db.knex('refresh_tokens').where({ token_hash: tokenHash }).select('family', 'user_id', 'token_version', 'used_at', 'revoked_at', 'expires_at')
      if (row === undefined) return { ok: false, reason: 'unknown' }
      if (used === 0) {
        if (row.revoked_at !== null) return { ok: false, reason: 'signed-out' }
        if (row.used_at !== null) {
          await endFamily(String(row.family))
          const user = (await loadPrincipal(db, Number(row.user_id)))?.principal
          await recordAudit(db, { actor: null, action: 'auth.refresh-reused', tenant: user?.home.code ?? null, target: user?.username ?? null, details: { family: row.family }, requestId })
          return { ok: false, reason: 'reused' }
        }
        return { ok: false, reason: 'expired' }
      }
      const user = await loadPrincipal(db, Number(row.user_id))
      if (user === undefined || user.disabled || user.tokenVersion !== Number(row.token_version)) {
        await endFamily(String(row.family))
        return { ok: false, reason: 'user-changed' }
      }
      const refresh = await issue(Number(row.user_id), Number(row.token_version), String(row.family))
      return { ok: true, userId: Number(row.user_id), tokenVersion: Number(row.token_version), family: String(row.family), refresh }
    },

    /** The session (family) `token` belongs to and whose it is, when it is one. */
    async owner (token: string): Promise<{ family: string, userId: number, user: { username: string, tenant: string } | undefined } | undefined> {
      if (!TOKEN.test(token)) return undefined
      const [row] = await db.knex('refresh_tokens').where({ token_hash: hash(token) }).select('family', 'user_id')
      if (row === undefined) return undefined
      const user = (await loadPrincipal(db, Number(row.user_id)))?.principal
      const owner = user === undefined ? undefined : { username: user.username, tenant: user.home.code }
      return { family: String(row.family), userId: Number(row.user_id), user: owner }
    },

    /** Drops what can never be used again (expired a day ago, or ended), so the table holds live sessions. */
    async sweep (): Promise<number> {
      const dayAgo = new Date(Date.now() - 24 * 3600_000).toISOString()
      return db.knex('refresh_tokens').where('expires_at', '<', dayAgo).orWhere('revoked_at', '<', dayAgo).delete()
    },
  }
}

export type RefreshTokens = ReturnType<typeof createRefreshTokens>

import { SignJWT, jwtVerify } from 'jose'
import { deriveKey } from './secret-key.ts'

export interface TokenClaims {
  userId: number
  tokenVersion: number
  /** Expiry, seconds since the epoch. */
  expiresAt: number
  /** Set on a plugin page's token: `t/{tenant}/{mount}`, the only routes it is good for. */
  audience?: string
  /** The session it belongs to (core/auth/sessions.ts): ending the session refuses it at once. */
  session?: string
  /** When a second factor was last shown in its session, seconds since the epoch. */
  factorAt?: number
}

export interface IssueOptions {
  session?: string | undefined
  factorAt?: number | undefined
  /** A plugin page's token: good for this audience's routes only, for `ttlSeconds`. */
  audience?: string
  ttlSeconds?: number
}

export interface TokenService {
  /** A sign-in token; with `audience`, a plugin page's short token for that mount's routes only. */
  issue(userId: number, tokenVersion: number, options?: IssueOptions): Promise<{ token: string, expiresAt: string }>
  /** The token's claims if its signature and expiry hold, else undefined. */
  verify(token: string): Promise<TokenClaims | undefined>
}

const ISSUER = 'nentang'
const CACHE_LIMIT = 10_000

/**
 * HS256 JWTs with expiry (jose). Verified signatures are remembered, since a signature that held
 * once holds forever; expiry is checked on every use, and the caller checks the user's current
 * token version and status in the database, which is what makes revocation immediate.
 */
export function createTokenService (secret: string, ttlSeconds: number): TokenService {
  const key = deriveKey(secret, 'jwt')
  const verified = new Map<string, TokenClaims>()

  return {
    async issue (userId, tokenVersion, options) {
      const expiresAt = Math.floor(Date.now() / 1000) + (options?.ttlSeconds ?? ttlSeconds)
      const jwt = new SignJWT({
        tv: tokenVersion,
        ...(options?.session === undefined ? {} : { sid: options.session }),
        ...(options?.factorAt === undefined ? {} : { fa: options.factorAt }),
      })
      if (options?.audience !== undefined) jwt.setAudience(options.audience)
      const token = await jwt
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(ISSUER)
        .setSubject(String(userId))
        .setIssuedAt()
        .setExpirationTime(expiresAt)
        .sign(key)
      return { token, expiresAt: new Date(expiresAt * 1000).toISOString() }
    },

    async verify (token) {
      const now = Date.now() / 1000
      const cached = verified.get(token)
      if (cached !== undefined) return cached.expiresAt > now ? cached : undefined
      if (token.length > 4096) return undefined
      let claims: TokenClaims
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] })
        const userId = Number(payload.sub)
        if (!Number.isSafeInteger(userId) || typeof payload.tv !== 'number' || typeof payload.exp !== 'number') return undefined
        if (payload.aud !== undefined && typeof payload.aud !== 'string') return undefined
        if (payload.sid !== undefined && typeof payload.sid !== 'string') return undefined
        if (payload.fa !== undefined && typeof payload.fa !== 'number') return undefined
        claims = {
          userId,
          tokenVersion: payload.tv,
          expiresAt: payload.exp,
          ...(payload.aud === undefined ? {} : { audience: payload.aud }),
          ...(payload.sid === undefined ? {} : { session: payload.sid }),
          ...(payload.fa === undefined ? {} : { factorAt: payload.fa }),
        }
      } catch {
        return undefined
      }
      if (verified.size >= CACHE_LIMIT) verified.clear()
      verified.set(token, claims)
      return claims
    },
  }
}

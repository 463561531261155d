import type { Database } from '../db/database.ts'
import type { ChangeFeed } from '../events/change-feed.ts'
import { createPasskeys } from './factors/passkeys.ts'
import { createRecoveryCodes } from './factors/recovery-codes.ts'
import { createTotp } from './factors/totp.ts'
import { createFactorPolicy } from './factor-policy.ts'
import { createIdentityNumbers } from './identity-numbers.ts'
import { createOidcSignIn } from './oidc/oidc-sign-in.ts'
import { createRefreshTokens } from './refresh-tokens.ts'
import type { SecretBox } from './secret-box.ts'
import { createSessions } from './sessions.ts'
import { createSignInTickets } from './sign-in-tickets.ts'
import type { TokenService } from './tokens.ts'

/** Who someone is and how they proved it: sessions, sign-in tickets, second factors, identity numbers, OpenID. */
export function createIdentity (options: {
  db: Database,
  tokens: TokenService,
  changes: ChangeFeed,
  box: SecretBox,
  secret: string,
  sessionTtlSeconds: number,
  allowPrivate: readonly string[],
  mfaRoles: readonly string[]
}) {
  const { db, tokens, changes, box, secret, sessionTtlSeconds, allowPrivate, mfaRoles } = options
  const refreshTokens = createRefreshTokens(db, sessionTtlSeconds)
  return {
    sessions: createSessions(db, tokens, refreshTokens, changes, sessionTtlSeconds),
    tickets: createSignInTickets(db),
    totp: createTotp(db, box, changes),
    passkeys: createPasskeys(db, changes),
    recoveryCodes: createRecoveryCodes(db, changes),
    identityNumbers: createIdentityNumbers(secret, box),
    oidc: createOidcSignIn(db, box, allowPrivate),
    factorPolicy: createFactorPolicy(db, changes, mfaRoles),
  }
}

export type Identity = ReturnType<typeof createIdentity>

import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server'
import type { Database } from '../../db/database.ts'
import type { ChangeFeed } from '../../events/change-feed.ts'
import { PRINCIPAL_CHANGED } from '../../tenancy/principal-changed.ts'

/** Where the browser's ceremony runs: the relying party id (the console's host name) and the origin. */
export interface RelyingParty {
  id: string
  origin: string
}

/**
 * Passkeys and security keys (WebAuthn Level 2, with `@simplewebauthn/server`): registration and assertion, the
 * challenge kept by the caller (on the sign-in ticket), user verification required, the signature counter checked
 * (a clone of a key that counts is refused when its counter goes back).
 */
export function createPasskeys (db: Database, changes: Pick<ChangeFeed, 'publish'>) {
  async function credentialsOf (userId: number) {
    return db.knex('mfa_factors').where({ user_id: userId, kind: 'passkey', confirmed: true }).select('id', 'credential_id', 'public_key', 'counter', 'transports')
  }

  return {
    async registrationOptions (rp: RelyingParty, user: { id: number, username: string, displayName: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const existing = await credentialsOf(user.id)
      return generateRegistrationOptions({
        rpName: 'nentang',
        rpID: rp.id,
        userName: user.username,
        userDisplayName: user.displayName,
        userID: new TextEncoder().encode(`nentang-user-${user.id}`),
        attestationType: 'none',
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        excludeCredentials: existing.map((row) => ({ id: String(row.credential_id) })),
        timeout: 120_000,
      })
    },

    /** Keeps the passkey a registration response proves; false when it does not verify. */
    async register (rp: RelyingParty, userId: number, challenge: string, response: RegistrationResponseJSON, label: string): Promise<boolean> {
      let verified
      try {
        verified = await verifyRegistrationResponse({
          response, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: true,
        })
      } catch {
        return false
      }
      if (!verified.verified) return false
      const { credential } = verified.registrationInfo
      await db.knex('mfa_factors').insert({
        user_id: userId,
        kind: 'passkey',
        label: label.slice(0, 100),
        credential_id: credential.id,
        public_key: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: (credential.transports ?? []).join(','),
        confirmed: true,
        created_at: new Date().toISOString(),
      })
      await changes.publish(undefined, PRINCIPAL_CHANGED, { userId })
      return true
    },

    async authenticationOptions (rp: RelyingParty, userId: number): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const rows = await credentialsOf(userId)
      return generateAuthenticationOptions({
        rpID: rp.id,
        userVerification: 'required',
        timeout: 120_000,
        allowCredentials: rows.map((row) => ({ id: String(row.credential_id), ...(row.transports ? { transports: String(row.transports).split(',') } : {}) })),
      })
    },

    /** Whether an assertion is by one of the user's passkeys, for `challenge`; its counter is moved on. */
    async authenticate (rp: RelyingParty, userId: number, challenge: string, response: AuthenticationResponseJSON): Promise<boolean> {
      const rows = await credentialsOf(userId)
      const row = rows.find((candidate) => candidate.credential_id === response?.id)
      if (row === undefined) return false
      let verified
      try {
        verified = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.id,
          requireUserVerification: true,
          credential: { id: String(row.credential_id), publicKey: new Uint8Array(Buffer.from(String(row.public_key), 'base64url')), counter: Number(row.counter) },
        })
      } catch {
        return false
      }
      if (!verified.verified) return false
      const counter = verified.authenticationInfo.newCounter
      // A counter of 0 means the authenticator does not count (many passkeys); one that counts must go forward.
      const moved = await db.knex('mfa_factors').where({ id: row.id })
        .where((q) => { q.where('counter', '<', counter).orWhere('counter', 0) })
        .update({ counter, last_used_at: new Date().toISOString() })
      return moved === 1
    },
  }
}

export type Passkeys = ReturnType<typeof createPasskeys>

import * as OTPAuth from 'otpauth'
import type { Database } from '../../db/database.ts'
import type { ChangeFeed } from '../../events/change-feed.ts'
import { PRINCIPAL_CHANGED } from '../../tenancy/principal-changed.ts'
import type { SecretBox } from '../secret-box.ts'

const PERIOD = 30
const CODE = /^\d{6}$/
const context = (factorId: number): string => `totp:${factorId}`

function totp (secret: OTPAuth.Secret, username: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: 'nentang', label: username, algorithm: 'SHA1', digits: 6, period: PERIOD, secret })
}

/**
 * Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s, as every authenticator app reads them). The shared
 * secret is sealed with the platform key; a code is good once: the time step it matched must be later than the last one
 * accepted, decided by one conditional update, so two requests racing with one code cannot both pass.
 */
export function createTotp (db: Database, box: SecretBox, changes: Pick<ChangeFeed, 'publish'>) {
  return {
    /** A new, unconfirmed TOTP factor: its secret and the otpauth:// address an app scans. */
    async enrol (userId: number, username: string): Promise<{ factorId: number, secret: string, uri: string }> {
      await db.knex('mfa_factors').where({ user_id: userId, kind: 'totp', confirmed: false }).delete()
      const secret = new OTPAuth.Secret({ size: 20 })
      const [inserted] = await db.knex('mfa_factors').insert({
        user_id: userId, kind: 'totp', label: 'TOTP', secret_sealed: '', confirmed: false, created_at: new Date().toISOString(),
      }).returning('id')
      const factorId = Number(typeof inserted === 'object' ? (inserted as { id: unknown }).id : inserted)
      await db.knex('mfa_factors').where({ id: factorId }).update({ secret_sealed: box.seal(secret.base32, context(factorId)) })
      return { factorId, secret: secret.base32, uri: totp(secret, username).toString() }
    },

    /**
     * Whether `code` is a current code of one of the user's TOTP factors (an unconfirmed one only when `confirming`),
     * used now for the first time. The factor it matched is confirmed by the match.
     */
    async check (userId: number, code: string, confirming = false): Promise<boolean> {
      if (!CODE.test(code)) return false
      const rows = await db.knex('mfa_factors').where({ user_id: userId, kind: 'totp', confirmed: !confirming }).select('id', 'secret_sealed')
      const now = Date.now()
      for (const row of rows) {
        const secret = OTPAuth.Secret.fromBase32(box.open(String(row.secret_sealed), context(Number(row.id))))
        const delta = totp(secret, '').validate({ token: code, timestamp: now, window: 1 })
        if (delta === null) continue
        const step = Math.floor(now / 1000 / PERIOD) + delta
        const taken = await db.knex('mfa_factors').where({ id: row.id })
          .where((q) => { q.whereNull('last_step').orWhere('last_step', '<', step) })
          .update({ last_step: step, confirmed: true, last_used_at: new Date(now).toISOString() })
        // A factor confirmed now: what `GET /me` says of the user changed.
        if (taken === 1 && confirming) await changes.publish(undefined, PRINCIPAL_CHANGED, { userId })
        return taken === 1
      }
      return false
    },
  }
}

export type Totp = ReturnType<typeof createTotp>

import { createHash, randomInt } from 'node:crypto'
import type { Database } from '../../db/database.ts'
import type { ChangeFeed } from '../../events/change-feed.ts'
import { PRINCIPAL_CHANGED } from '../../tenancy/principal-changed.ts'

const COUNT = 10
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
const hash = (code: string): string => createHash('sha256').update(code.toLowerCase().replace(/[^a-z0-9]/g, ''), 'utf8').digest('hex')

/**
 * Recovery codes: ten one-time codes given once when a user enrols a second factor, for the day the phone or key is
 * lost.
 * Kept as SHA-256 hashes (each has 50 random bits, so a hash is no shortcut to guessing); a new set replaces the old.
 */
export function createRecoveryCodes (db: Database, changes: Pick<ChangeFeed, 'publish'>) {
  return {
    async replace (userId: number): Promise<string[]> {
      const codes = Array.from({ length: COUNT }, () => {
        const raw = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')
        return `${raw.slice(0, 5)}-${raw.slice(5)}`
      })
      await db.knex.transaction(async (trx) => {
        await trx('recovery_codes').where({ user_id: userId }).delete()
        await trx('recovery_codes').insert(codes.map((code) => ({ user_id: userId, code_hash: hash(code) })))
        await changes.publish(trx, PRINCIPAL_CHANGED, { userId })
      })
      return codes
    },

    /** Uses up one of the user's recovery codes; false when it is not one, or was used. */
    async use (userId: number, code: string): Promise<boolean> {
      if (code.length > 32) return false
      const used = await db.knex('recovery_codes').where({ user_id: userId, code_hash: hash(code) }).whereNull('used_at').update({ used_at: new Date().toISOString() })
      if (used === 1) await changes.publish(undefined, PRINCIPAL_CHANGED, { userId })
      return used === 1
    },
  }
}

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>

import { createHmac } from 'node:crypto'
import type { SecretBox } from './secret-box.ts'
import { deriveKey } from './secret-key.ts'

/** A citizen identity number as kept: sealed, its keyed hash (to find it), its last three digits (to show). */
export interface ProtectedIdentityNumber {
  sealed: string
  hash: string
  hint: string
}

/** CCCD (12 digits) or the older CMND (9 digits). */
export const IDENTITY_NUMBER_PATTERN = '^(\\d{9}|\\d{12})$'
const PATTERN = new RegExp(IDENTITY_NUMBER_PATTERN)

/**
 * Identity numbers (số định danh cá nhân) are personal data (Decree 13/2023): encrypted at rest with the platform key
 * (AES-256-GCM, bound to its purpose), and found by an HMAC-SHA-256 under a key of their own, so the database alone
 * neither shows them nor lets anyone test a guessed number.
 */
export function createIdentityNumbers (secret: string, box: SecretBox) {
  const key = deriveKey(secret, 'identity-number')
  const hash = (value: string): string => createHmac('sha256', key).update(value, 'utf8').digest('hex')
  return {
    valid: (value: string): boolean => PATTERN.test(value),
    hash,
    protect (value: string): ProtectedIdentityNumber {
      return { sealed: box.seal(value, 'identity-number'), hash: hash(value), hint: value.slice(-3) }
    },
    open: (sealed: string): string => box.open(sealed, 'identity-number'),
  }
}

export type IdentityNumbers = ReturnType<typeof createIdentityNumbers>

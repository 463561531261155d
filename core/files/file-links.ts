import { createHmac, timingSafeEqual } from 'node:crypto'
import { deriveKey } from '../auth/secret-key.ts'

/** How long a link lives when the plugin does not say, and at most. */
export const LINK_DEFAULT_SECONDS = 300
export const LINK_MAX_SECONDS = 24 * 3600

export interface FileLinks {
  /** `/api/v1/files/{tenant}/{file}?expires=…&signature=…`: a download anyone holding it may make until it expires. */
  url(tenant: string, fileId: string, seconds: number): string
  /** Whether a link's parts are one this platform made for that tenant and file, and not expired. */
  valid(tenant: string, fileId: string, expires: string, signature: string, now?: number): boolean
}

/**
 * Signed, expiring download links: an `<a href>` sends no bearer token, so the link itself is the permission. The
 * signature (HMAC-SHA-256, a key of its own derived from the platform secret) covers the tenant, the file and the
 * expiry: a link altered to name another tenant or file, or used after it expired, is no link.
 */
export function createFileLinks (secret: string): FileLinks {
  const key = deriveKey(secret, 'file-links')
  const sign = (tenant: string, fileId: string, expires: string): Buffer => createHmac('sha256', key).update(`${tenant}\n${fileId}\n${expires}`).digest()
  return {
    url (tenant, fileId, seconds) {
      const expires = String(Math.floor(Date.now() / 1000) + seconds)
      return `/api/v1/files/${tenant}/${fileId}?expires=${expires}&signature=${sign(tenant, fileId, expires).toString('base64url')}`
    },
    valid (tenant, fileId, expires, signature, now = Date.now()) {
      if (!/^[0-9]{1,12}$/.test(expires) || Number(expires) * 1000 <= now) return false
      const given = Buffer.from(signature, 'base64url')
      const expected = sign(tenant, fileId, expires)
      return given.length === expected.length && timingSafeEqual(given, expected)
    },
  }
}

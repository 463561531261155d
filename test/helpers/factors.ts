import * as OTPAuth from 'otpauth'
import type { TestPlatform } from './platform.ts'

/** The code an authenticator app shows for `secret` (base32), `offset` seconds from now. */
export function totpCode (secret: string, offset = 0): string {
  return OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: Date.now() + offset * 1000 })
}

/**
 * Signs in someone who must use a second factor for the first time, the way the console does: the password, then
 * enrolling an authenticator app and confirming it with its code. Returns the session and the app's secret.
 */
export async function enrolTotp (
  p: TestPlatform, username: string, password: string
): Promise<{ token: string, refreshToken: string, secret: string, recoveryCodes: string[] }> {
  const first = await p.call('POST', '/api/v1/auth/token', { body: { username, password } })
  if (first.body.next !== 'enrol') throw new Error(`expected enrolment for ${username}: ${JSON.stringify(first.body)}`)
  const enrolled = await p.call('POST', '/api/v1/auth/enrol/totp', { body: { ticket: first.body.ticket } })
  const secret = String(enrolled.body.secret)
  const confirmed = await p.call('POST', '/api/v1/auth/enrol/totp/confirm', { body: { ticket: first.body.ticket, code: totpCode(secret) } })
  if (confirmed.status !== 200) throw new Error(`enrolment of ${username}: ${JSON.stringify(confirmed.body)}`)
  return { token: confirmed.body.token, refreshToken: confirmed.body.refreshToken, secret, recoveryCodes: confirmed.body.recoveryCodes }
}

import { apiCall, type ApiResponse } from './api-client.ts'
import { saveCredential, type Credential } from './credentials.ts'

/**
 * A call as the signed-in user: when the bearer token has run out (an hour), it is renewed with the kept refresh
 * token (used up; the next one is kept, mode 0600) and the call made again, once. So a developer who signed in this
 * morning still publishes this afternoon; a session that has ended answers 401 as before.
 */
export async function callAs (
  credential: Credential,
  method: string,
  path: string,
  options: { body?: unknown, raw?: Buffer, contentType?: string } = {}
): Promise<ApiResponse> {
  const expired = Date.parse(credential.expiresAt) <= Date.now() + 5_000
  if (!expired) {
    const response = await apiCall(credential.url, method, path, { ...options, token: credential.token })
    if (response.status !== 401) return response
  }
  const renewed = await renew(credential)
  if (renewed === undefined) return apiCall(credential.url, method, path, { ...options, token: credential.token })
  return apiCall(renewed.url, method, path, { ...options, token: renewed.token })
}

async function renew (credential: Credential): Promise<Credential | undefined> {
  if (credential.refreshToken === undefined) return undefined
  const response = await apiCall(credential.url, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: credential.refreshToken } })
  if (response.status !== 200) return undefined
  const { token, expiresAt, refreshToken, refreshExpiresAt } = response.body
  const renewed: Credential = { ...credential, token, expiresAt, refreshToken, refreshExpiresAt }
  saveCredential(renewed)
  return renewed
}

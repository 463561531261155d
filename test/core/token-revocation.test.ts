import t from 'tap'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

t.test('disabling a user refuses its existing token on the next request', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/users', { token: admin, body: { username: 'clerk', password: 'clerk-password', roles: ['member'] } })
  const token = await p.signIn('clerk', 'clerk-password')
  t.equal((await p.call('GET', '/api/v1/me', { token })).status, 200, 'the token works')

  const disabled = await p.call('PATCH', '/api/v1/tenants/vn/users/clerk', { token: admin, body: { disabled: true } })
  t.equal(disabled.status, 200)
  t.equal(disabled.body.disabled, true)

  const refused = await p.call('GET', '/api/v1/me', { token })
  t.equal(refused.status, 401, 'the same token is refused at once')
  t.equal(refused.body.error.code, 'CORE_ERR_UNAUTHENTICATED')
  const signIn = await p.call('POST', '/api/v1/auth/token', { body: { username: 'clerk', password: 'clerk-password' } })
  t.equal(signIn.status, 401, 'a disabled user cannot sign in')
  t.equal(signIn.body.error.code, 'CORE_ERR_BAD_CREDENTIALS')

  await p.call('PATCH', '/api/v1/tenants/vn/users/clerk', { token: admin, body: { disabled: false } })
  t.equal((await p.call('GET', '/api/v1/me', { token })).status, 401, 're-enabling does not revive old tokens')
  t.equal((await p.call('GET', '/api/v1/me', { token: await p.signIn('clerk', 'clerk-password') })).status, 200, 'a new sign-in works')
})

t.test('changing a password refuses tokens issued before', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/users', { token: admin, body: { username: 'clerk', password: 'clerk-password' } })
  const before = await p.signIn('clerk', 'clerk-password')

  const wrong = await p.call('POST', '/api/v1/me/password', { token: before, body: { currentPassword: 'not-it-at-all', newPassword: 'clerk-new-password' } })
  t.equal(wrong.status, 422)
  t.equal(wrong.body.error.field, 'currentPassword')

  const changed = await p.call('POST', '/api/v1/me/password', { token: before, body: { currentPassword: 'clerk-password', newPassword: 'clerk-new-password' } })
  t.equal(changed.status, 200)
  t.equal((await p.call('GET', '/api/v1/me', { token: before })).status, 401, 'the old token is refused')
  t.equal((await p.call('GET', '/api/v1/me', { token: changed.body.token })).status, 200, 'the token returned with the change works')
  t.equal((await p.call('POST', '/api/v1/auth/token', { body: { username: 'clerk', password: 'clerk-password' } })).status, 401, 'the old password is refused')

  // An administrator resetting the password has the same effect.
  const current = await p.signIn('clerk', 'clerk-new-password')
  t.equal((await p.call('PATCH', '/api/v1/tenants/vn/users/clerk', { token: admin, body: { password: 'reset-by-admin-1' } })).status, 200)
  t.equal((await p.call('GET', '/api/v1/me', { token: current })).status, 401)
})

t.test('forged, malformed and expired tokens are refused', async (t) => {
  const p = await startTestPlatform(t, { tokenTtlSeconds: 60 })
  const token = await p.signIn('admin', ADMIN_PASSWORD)
  const [header, payload] = token.split('.')
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
  const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: '2' })).toString('base64url')}.${token.split('.')[2]}`
  for (const [name, value] of [['forged', `Bearer ${forged}`], ['none', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.'], ['not bearer', `Basic ${token}`], ['garbage', 'Bearer !!!']] as const) {
    const response = await p.call('GET', '/api/v1/me', { headers: { authorization: value } })
    t.equal(response.status, 401, `${name} token refused`)
  }
  const other = await startTestPlatform(t)
  t.equal((await other.call('GET', '/api/v1/me', { token })).status, 401, 'a token from another platform (another key) is refused')
  t.equal((await p.call('GET', '/api/v1/me')).status, 401, 'no token, no /me')
  t.ok(claims.exp - claims.iat === 60, 'tokens expire after the configured lifetime')
})

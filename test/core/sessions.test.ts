import t from 'tap'
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../helpers/platform.ts'

const signInFully = async (p: TestPlatform, username: string, password: string): Promise<{ token: string, refreshToken: string }> =>
  (await p.call('POST', '/api/v1/auth/token', { body: { username, password } })).body
const renew = (p: TestPlatform, refreshToken: unknown, headers: Record<string, string> = {}) => p.call('POST', '/api/v1/auth/refresh', { body: { refreshToken }, headers })

t.test('a session renews itself with its refresh token, each used once; a used one shown again ends the session for both holders', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/users', { token: admin, body: { username: 'nguyen.thi.hoa', password: 'mật-khẩu-của-Hoa', displayName: 'Nguyễn Thị Hoa' } })
  const first = await signInFully(p, 'nguyen.thi.hoa', 'mật-khẩu-của-Hoa')
  t.match(first, { token: /\./, refreshToken: /^[A-Za-z0-9_-]{43}$/ }, 'sign-in gives a refresh token beside the bearer token')
  const second = await renew(p, first.refreshToken)
  t.equal(second.status, 200)
  t.not(second.body.refreshToken, first.refreshToken, 'a new refresh token each time')
  t.equal((await p.call('GET', '/api/v1/me', { token: second.body.token })).body.user.displayName, 'Nguyễn Thị Hoa', 'the renewed bearer token works')
  const third = await renew(p, second.body.refreshToken)
  t.equal(third.status, 200, 'and renews again')

  // Someone who copied the first token uses it: refused, and the whole session ends, the rightful holder's too.
  const replay = await renew(p, first.refreshToken, { 'accept-language': 'vi' })
  t.equal(replay.status, 401)
  t.equal(replay.body.error.code, 'CORE_ERR_SESSION_ENDED')
  t.match(replay.body.error.message, /Phiên làm việc đã kết thúc/, 'said in Vietnamese')
  t.equal((await renew(p, third.body.refreshToken)).status, 401, 'the newest token of that session is ended too')
  const audit = await p.call('GET', '/api/v1/tenants/vn/audit?action=auth.refresh-reused', { token: admin })
  t.equal(audit.body.items?.[0]?.target, 'nguyen.thi.hoa', 'the reuse is in the audit log')

  const other = await signInFully(p, 'nguyen.thi.hoa', 'mật-khẩu-của-Hoa')
  t.equal((await renew(p, other.refreshToken)).status, 200, 'another sign-in is another session, untouched')
})

t.test('of ten renewals racing with one token, exactly one wins', async (t) => {
  const p = await startTestPlatform(t)
  const { refreshToken } = await signInFully(p, 'admin', ADMIN_PASSWORD)
  const answers = await Promise.all(Array.from({ length: 10 }, () => renew(p, refreshToken)))
  t.equal(answers.filter((a) => a.status === 200).length, 1, `statuses: ${answers.map((a) => a.status).join(' ')}`)
  t.ok(answers.every((a) => a.status === 200 || a.body.error.code === 'CORE_ERR_SESSION_ENDED'))
})

t.test('a session ends with sign-out, a password change, a disabled user, or when unused too long', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/users', { token: admin, body: { username: 'clerk', password: 'clerk-password' } })

  const out = await signInFully(p, 'clerk', 'clerk-password')
  t.equal((await p.call('POST', '/api/v1/auth/sign-out', { body: { refreshToken: out.refreshToken } })).status, 204)
  t.equal((await renew(p, out.refreshToken)).status, 401, 'signed out: renews nothing')
  t.equal((await p.call('POST', '/api/v1/auth/sign-out', { body: { refreshToken: 'x'.repeat(43) } })).status, 204, 'signing out an unknown token says nothing about it')

  const before = await signInFully(p, 'clerk', 'clerk-password')
  const changed = await p.call('POST', '/api/v1/me/password', { token: before.token, body: { currentPassword: 'clerk-password', newPassword: 'clerk-new-password' } })
  t.equal(changed.status, 200)
  t.equal((await renew(p, before.refreshToken)).status, 401, 'a password change ends the sessions begun before it')
  t.equal((await renew(p, changed.body.refreshToken)).status, 200, 'the session that changed it goes on with the tokens it was given')

  const live = await signInFully(p, 'clerk', 'clerk-new-password')
  await p.call('PATCH', '/api/v1/tenants/vn/users/clerk', { token: admin, body: { disabled: true } })
  t.equal((await renew(p, live.refreshToken)).status, 401, 'a disabled user renews nothing')
  await p.call('PATCH', '/api/v1/tenants/vn/users/clerk', { token: admin, body: { disabled: false } })

  const idle = await signInFully(p, 'clerk', 'clerk-new-password')
  await p.platform.services.db.knex('refresh_tokens').update({ expires_at: new Date(Date.now() - 1000).toISOString() })
  const expired = await renew(p, idle.refreshToken)
  t.equal(expired.status, 401, 'unused past its lifetime: ended')
  t.match(expired.body.error.message, /unused too long/)
})

t.test('renewal refuses what is not a refresh token, with the field named', async (t) => {
  const p = await startTestPlatform(t)
  for (const [body, code] of [[{}, 'CORE_ERR_MISSING_FIELD'], [{ refreshToken: 42 }, 'CORE_ERR_INVALID_FIELD'], [{ refreshToken: 'a'.repeat(10_000) }, 'CORE_ERR_INVALID_FIELD'], [{ refreshToken: 'không phải token' }, 'CORE_ERR_SESSION_ENDED']] as const) {
    const answer = await p.call('POST', '/api/v1/auth/refresh', { body })
    t.equal(answer.body.error.code, code, JSON.stringify(body).slice(0, 40))
  }
  t.equal((await p.call('GET', '/healthz')).status, 200, 'and goes on serving')
})

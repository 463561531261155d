import t from 'tap'
import { enrolTotp, totpCode } from '../helpers/factors.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'
import { helloPackage } from '../helpers/tgz.ts'

const LEVEL_3 = { mfaRoles: ['platform-admin', 'tenant-admin', 'developer'] }

t.test('an administrator without a second factor is made to enrol before anything else; then signs in with it, each code once', async (t) => {
  const p = await startTestPlatform(t, LEVEL_3)
  const first = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
  t.equal(first.status, 200)
  t.match(first.body, { next: 'enrol', ticket: /^[A-Za-z0-9_-]{43}$/, factors: [] }, 'the password alone gives no token, only the enrolment step')
  t.notOk(first.body.token)
  t.equal((await p.call('GET', '/api/v1/me', { token: first.body.ticket })).status, 401, 'the ticket is no bearer token')
  t.equal((await p.call('POST', '/api/v1/auth/factor', { body: { ticket: first.body.ticket, code: '123456' } })).body.error.code, 'CORE_ERR_TICKET_ENDED', 'an enrolment ticket does not pass the factor step')

  const enrolled = await p.call('POST', '/api/v1/auth/enrol/totp', { body: { ticket: first.body.ticket } })
  t.match(enrolled.body, { secret: /^[A-Z2-7]{32}$/, uri: /^otpauth:\/\/totp\/nentang:admin\?/ })
  const wrong = await p.call('POST', '/api/v1/auth/enrol/totp/confirm', { body: { ticket: first.body.ticket, code: '000000' }, headers: { 'accept-language': 'vi' } })
  t.equal(wrong.status, 401)
  t.equal(wrong.body.error.code, 'CORE_ERR_WRONG_FACTOR')
  t.match(wrong.body.error.message, /Mã xác thực/, 'said in Vietnamese')
  const confirmed = await p.call('POST', '/api/v1/auth/enrol/totp/confirm', { body: { ticket: first.body.ticket, code: totpCode(enrolled.body.secret) } })
  t.equal(confirmed.status, 200)
  t.equal(confirmed.body.recoveryCodes.length, 10, 'ten recovery codes, shown once')
  t.equal((await p.call('GET', '/api/v1/me', { token: confirmed.body.token })).body.security.factors.join(','), 'totp,recovery')
  t.equal((await p.call('POST', '/api/v1/auth/enrol/totp/confirm', { body: { ticket: first.body.ticket, code: totpCode(enrolled.body.secret) } })).body.error.code, 'CORE_ERR_TICKET_ENDED', 'the ticket is used up')

  // The next sign-in asks for the factor. The app's next code works once; shown again, it is refused.
  const second = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
  t.match(second.body, { next: 'factor', factors: ['totp', 'recovery'] })
  const code = totpCode(enrolled.body.secret, 30)
  // Two racing with one code: exactly one passes; shown again later, it is refused.
  const other = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
  const raced = await Promise.all([second, other].map((one) => p.call('POST', '/api/v1/auth/factor', { body: { ticket: one.body.ticket, code } })))
  t.same(raced.map((r) => r.status).sort(), [200, 401], 'of two racing with one code, one passes')
  const third = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
  const reused = await p.call('POST', '/api/v1/auth/factor', { body: { ticket: third.body.ticket, code } })
  t.equal(reused.body.error?.code, 'CORE_ERR_WRONG_FACTOR', 'a reused TOTP code is refused')

  // A recovery code works once.
  const lost = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
  t.equal((await p.call('POST', '/api/v1/auth/factor', { body: { ticket: lost.body.ticket, code: confirmed.body.recoveryCodes[0] } })).status, 200, 'a recovery code signs in')
  const again = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
  t.equal((await p.call('POST', '/api/v1/auth/factor', { body: { ticket: again.body.ticket, code: confirmed.body.recoveryCodes[0] } })).status, 401, 'but once')

  // Five wrong answers end the ticket, even for the right code after.
  for (let i = 0; i < 5; i++) await p.call('POST', '/api/v1/auth/factor', { body: { ticket: again.body.ticket, code: '999999' } })
  t.equal((await p.call('POST', '/api/v1/auth/factor', { body: { ticket: again.body.ticket, code: totpCode(enrolled.body.secret) } })).body.error.code, 'CORE_ERR_TICKET_ENDED', 'five wrong answers end the ticket')
  const audit = await p.call('GET', '/api/v1/tenants/vn/audit?action=auth.factor-failed', { token: confirmed.body.token })
  t.ok(audit.body.items.length >= 6, 'wrong answers are audited')
})

t.test('approving a package asks for the second factor again when the last one is older than five minutes', async (t) => {
  const p = await startTestPlatform(t, { mfaRoles: ['platform-admin'] })
  const admin = await enrolTotp(p, 'admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin.token, body: { code: 'hn', name: 'Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/users', { token: admin.token, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  const dev = await p.signIn('hn-dev', 'hn-dev-password')
  const uploaded = await p.call('POST', '/api/v1/registry/packages', { token: dev, raw: await helloPackage('1.0.0'), headers: { 'content-type': 'application/gzip' } })
  t.equal(uploaded.status, 201)

  // The session's factor was shown at sign-in; move it ten minutes back, as if the administrator had worked on since.
  await p.platform.services.db.knex('sessions').update({ factor_at: new Date(Date.now() - 600_000).toISOString() })
  const renewed = await p.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: admin.refreshToken } })
  const path = '/api/v1/registry/packages/hn/hello/versions/1.0.0/approve'
  const refused = await p.call('POST', path, { token: renewed.body.token, body: {}, headers: { 'accept-language': 'vi' } })
  t.equal(refused.status, 403)
  t.equal(refused.body.error.code, 'CORE_ERR_STEP_UP_REQUIRED')
  t.match(refused.body.error.message, /yếu tố xác thực thứ hai/)
  t.equal((await p.call('POST', '/api/v1/auth/step-up', { token: renewed.body.token, body: { code: '000000' } })).body.error.code, 'CORE_ERR_WRONG_FACTOR')
  const stepped = await p.call('POST', '/api/v1/auth/step-up', { token: renewed.body.token, body: { code: totpCode(admin.secret, 30) } })
  t.equal(stepped.status, 200)
  t.equal((await p.call('POST', path, { token: stepped.body.token, body: {} })).status, 200, 'approved with the fresh factor')
  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/hello/versions/1.0.0/revoke', { token: renewed.body.token, body: { reason: 'thử' } })).body.error.code, 'CORE_ERR_STEP_UP_REQUIRED', 'the older token still lacks it')
  t.equal((await p.call('POST', '/api/v1/tenants/vn/grants', { token: renewed.body.token, body: { username: 'hn-dev', role: 'platform-admin' } })).body.error.code, 'CORE_ERR_STEP_UP_REQUIRED', 'so does granting an administrator role')
  t.equal((await p.call('POST', '/api/v1/tenants/vn/grants', { token: stepped.body.token, body: { username: 'hn-dev', role: 'platform-admin' } })).status, 201)
})

t.test('a unit requires a second factor of more roles in its subtree; units elsewhere are not touched', async (t) => {
  const p = await startTestPlatform(t, { mfaRoles: ['platform-admin'] })
  const admin = await enrolTotp(p, 'admin', ADMIN_PASSWORD)
  for (const [parent, code] of [['vn', 'hn'], ['hn', 'hn-ba-dinh'], ['vn', 'hcm']]) await p.call('POST', `/api/v1/tenants/${parent}/children`, { token: admin.token, body: { code, name: code } })
  await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: admin.token, body: { username: 'ba-dinh-officer', password: 'officer-password', roles: ['officer'] } })
  await p.call('POST', '/api/v1/tenants/hcm/users', { token: admin.token, body: { username: 'hcm-officer', password: 'officer-password', roles: ['officer'] } })
  t.ok((await p.call('POST', '/api/v1/auth/token', { body: { username: 'ba-dinh-officer', password: 'officer-password' } })).body.token, 'before the policy: a password is enough')

  const unknown = await p.call('PUT', '/api/v1/tenants/hn/security-policy', { token: admin.token, body: { mfaRoles: ['no-such-role'] } })
  t.equal(unknown.body.error?.code, 'CORE_ERR_UNKNOWN_ROLE')
  const set = await p.call('PUT', '/api/v1/tenants/hn/security-policy', { token: admin.token, body: { mfaRoles: ['officer'] } })
  t.equal(set.status, 200)
  t.same(set.body, { mfaRoles: ['officer'], platformMfaRoles: ['platform-admin'], effective: ['officer', 'platform-admin'] })
  t.same((await p.call('GET', '/api/v1/tenants/hn-ba-dinh/security-policy', { token: admin.token })).body.effective, ['officer', 'platform-admin'], 'a commune below inherits it')
  t.match((await p.call('POST', '/api/v1/auth/token', { body: { username: 'ba-dinh-officer', password: 'officer-password' } })).body, { next: 'enrol' }, "Hà Nội's officer now enrols a second factor")
  t.ok((await p.call('POST', '/api/v1/auth/token', { body: { username: 'hcm-officer', password: 'officer-password' } })).body.token, "Hồ Chí Minh City's does not")
  const officer = await p.signIn('hcm-officer', 'officer-password')
  t.equal((await p.call('PUT', '/api/v1/tenants/hcm/security-policy', { token: officer, body: { mfaRoles: [] } })).body.error?.code, 'CORE_ERR_FORBIDDEN', 'an officer cannot change a policy')
  const audit = await p.call('GET', '/api/v1/tenants/hn/audit?action=security-policy.update', { token: admin.token })
  t.match(audit.body.items[0], { actor: 'admin', details: { mfaRoles: ['officer'] } })
})

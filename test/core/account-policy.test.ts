import t from 'tap'
import { sweepInactiveAccounts } from '../../core/auth/inactivity-sweep.ts'
import { testDialect } from '../helpers/database.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

const DAY = 24 * 3600_000

t.test('an account unused for 46 days cannot sign in: refused at sign-in, and disabled by the daily sweep (audited)', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  for (const username of ['tran.van.binh', 'le.thi.mai', 'pham.van.duc']) {
    t.equal((await p.call('POST', '/api/v1/tenants/vn/users', { token: admin, body: { username, password: `mật-khẩu-của-${username}` } })).status, 201)
  }
  const { db } = p.platform.services
  const long = new Date(Date.now() - 46 * DAY).toISOString()
  // Bình last signed in 46 days ago; Mai 44 days ago.
  await db.knex('users').where({ username: 'tran.van.binh' }).update({ last_active_at: long })
  await db.knex('users').where({ username: 'le.thi.mai' }).update({ last_active_at: new Date(Date.now() - 44 * DAY).toISOString() })

  const refused = await p.call('POST', '/api/v1/auth/token', { body: { username: 'tran.van.binh', password: 'mật-khẩu-của-tran.van.binh' }, headers: { 'accept-language': 'vi' } })
  t.equal(refused.status, 403)
  t.equal(refused.body.error.code, 'CORE_ERR_ACCOUNT_INACTIVE')
  t.match(refused.body.error.message, /lâu không sử dụng/, 'said in Vietnamese')
  const wrongPassword = await p.call('POST', '/api/v1/auth/token', { body: { username: 'tran.van.binh', password: 'not-the-password' } })
  t.equal(wrongPassword.body.error.code, 'CORE_ERR_BAD_CREDENTIALS', 'without the password, nothing is said about the account')
  t.equal((await p.call('GET', '/api/v1/tenants/vn/users/tran.van.binh', { token: admin })).body.disabled, true, 'the refusal disabled it')
  t.equal((await p.call('POST', '/api/v1/auth/token', { body: { username: 'le.thi.mai', password: 'mật-khẩu-của-le.thi.mai' } })).status, 200, '44 days: still good')

  // The sweep, run as the day it would be 46 days after everyone's last use (the clock moved on): all are disabled,
  // the administrator too, whom the operator enables again from the database's side.
  const swept = await sweepInactiveAccounts(p.platform.services, Date.now() + 46 * DAY)
  t.equal(swept, 3, 'the sweep disabled the three accounts still enabled (Bình was disabled at his sign-in)')
  t.equal((await p.call('POST', '/api/v1/auth/token', { body: { username: 'le.thi.mai', password: 'mật-khẩu-của-le.thi.mai' } })).status, 401, 'Mai is disabled')
  await db.knex('users').where({ username: 'admin' }).update({ disabled: false, last_active_at: new Date().toISOString() })
  const admin2 = await p.signIn('admin', ADMIN_PASSWORD)
  t.equal((await p.call('GET', '/api/v1/tenants/vn/users/pham.van.duc', { token: admin2 })).body.disabled, true)
  const audit = await p.call('GET', '/api/v1/tenants/vn/audit?action=user.inactive-disabled', { token: admin2 })
  t.same(audit.body.items.map((item: any) => item.target).sort(), ['admin', 'le.thi.mai', 'pham.van.duc', 'tran.van.binh'], 'each is audited')

  // An administrator enables Bình again; the inactivity clock starts anew.
  t.equal((await p.call('PATCH', '/api/v1/tenants/vn/users/tran.van.binh', { token: admin2, body: { disabled: false } })).status, 200)
  t.equal((await p.call('POST', '/api/v1/auth/token', { body: { username: 'tran.van.binh', password: 'mật-khẩu-của-tran.van.binh' } })).status, 200, 'enabled again, Bình signs in')
})

t.test("an administrator's 11th password equal to an earlier one is refused; common passwords are refused for everyone", async (t) => {
  const p = await startTestPlatform(t)
  let token = await p.signIn('admin', ADMIN_PASSWORD)
  const passwords = [ADMIN_PASSWORD, ...Array.from({ length: 9 }, (_, i) => `quản-trị-viên-lần-${i + 2}`)]
  let current = ADMIN_PASSWORD
  for (const next of passwords.slice(1)) {
    const changed = await p.call('POST', '/api/v1/me/password', { token, body: { currentPassword: current, newPassword: next } })
    t.equal(changed.status, 200, `password ${passwords.indexOf(next) + 1}`)
    token = changed.body.token
    current = next
  }
  // Ten passwords so far; the 11th may be none of them.
  for (const earlier of [ADMIN_PASSWORD, passwords[5]!, current]) {
    const refused = await p.call('POST', '/api/v1/me/password', { token, body: { currentPassword: current, newPassword: earlier }, headers: { 'accept-language': 'vi' } })
    t.equal(refused.status, 422)
    t.equal(refused.body.error.code, 'CORE_ERR_PASSWORD_REJECTED')
    t.equal(refused.body.error.field, 'newPassword')
    t.match(refused.body.error.message, /đã được dùng trước đây/)
  }
  const eleventh = await p.call('POST', '/api/v1/me/password', { token, body: { currentPassword: current, newPassword: 'một-mật-khẩu-hoàn-toàn-mới' } })
  t.equal(eleventh.status, 200, 'a new one is taken')
  // Now the first is 11 passwords back: allowed again.
  const back = await p.call('POST', '/api/v1/me/password', { token: eleventh.body.token, body: { currentPassword: 'một-mật-khẩu-hoàn-toàn-mới', newPassword: ADMIN_PASSWORD } })
  t.equal(back.status, 200, 'the password of 11 changes ago is allowed')

  for (const common of ['password123', 'iloveyou123', 'matkhau123', 'Qwertyuiop']) {
    const refused = await p.call('POST', '/api/v1/tenants/vn/users', { token: back.body.token, body: { username: 'someone', password: common } })
    t.equal(refused.body.error?.code ?? refused.status, 'CORE_ERR_PASSWORD_REJECTED', `${common}: refused`)
  }
  const named = await p.call('POST', '/api/v1/tenants/vn/users', { token: back.body.token, body: { username: 'someone.long', password: 'Someone.Long' } })
  t.equal(named.body.error?.code, 'CORE_ERR_PASSWORD_REJECTED', 'the username as password: refused')
  t.equal((await p.call('POST', '/api/v1/tenants/vn/users', { token: back.body.token, body: { username: 'someone', password: 'ngựa-ăn-cỏ-bên-sông' } })).status, 201, 'a passphrase is fine')
})

t.test('a user lists their sessions and ends one: its tokens are refused at once on every node', async (t) => {
  const a = await startTestPlatform(t)
  // Several nodes share PostgreSQL (docs/architecture.md); SQLite is one node, where both names are that node.
  const b = testDialect === 'postgres' ? await startTestPlatform(t, {}, a) : a
  const admin = await a.signIn('admin', ADMIN_PASSWORD)
  await a.call('POST', '/api/v1/tenants/vn/users', { token: admin, body: { username: 'nguyen.van.an', password: 'mật-khẩu-của-an' } })
  const phone = (await a.call('POST', '/api/v1/auth/token', { body: { username: 'nguyen.van.an', password: 'mật-khẩu-của-an' }, headers: { 'user-agent': 'An-phone/1.0' } })).body
  const desk = (await b.call('POST', '/api/v1/auth/token', { body: { username: 'nguyen.van.an', password: 'mật-khẩu-của-an' }, headers: { 'user-agent': 'Ward-desktop/1.0' } })).body
  // Both nodes have served (and cached) the phone's token.
  t.equal((await a.call('GET', '/api/v1/me', { token: phone.token })).status, 200)
  t.equal((await b.call('GET', '/api/v1/me', { token: phone.token })).status, 200)

  const listed = await b.call('GET', '/api/v1/me/sessions', { token: desk.token })
  t.equal(listed.body.sessions.length, 2)
  const phoneSession = listed.body.sessions.find((s: any) => s.agent === 'An-phone/1.0')
  t.match(phoneSession, { current: false, method: 'password', address: '127.0.0.1' })
  t.equal(listed.body.sessions.find((s: any) => s.current).agent, 'Ward-desktop/1.0')

  t.equal((await b.call('DELETE', `/api/v1/me/sessions/${phoneSession.id}`, { token: desk.token })).status, 204)
  // On the node that ended it, at once; on the other, as soon as the change reaches it (a notification: milliseconds).
  t.equal((await b.call('GET', '/api/v1/me', { token: phone.token })).status, 401, 'refused at once where it was ended')
  const start = Date.now()
  let status = 200
  while (Date.now() - start < 5000 && status === 200) {
    status = (await a.call('GET', '/api/v1/me', { token: phone.token })).status
    if (status === 200) await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.equal(status, 401, `refused on the other node after ${Date.now() - start} ms`)
  t.equal((await a.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: phone.refreshToken } })).status, 401, 'and it renews nothing')
  t.equal((await a.call('GET', '/api/v1/me', { token: desk.token })).status, 200, 'the other session goes on')
  t.equal((await a.call('DELETE', `/api/v1/me/sessions/${phoneSession.id}`, { token: desk.token })).status, 404, 'ended already')

  const third = (await a.call('POST', '/api/v1/auth/token', { body: { username: 'nguyen.van.an', password: 'mật-khẩu-của-an' } })).body
  t.equal((await a.call('DELETE', '/api/v1/me/sessions', { token: desk.token, body: {} })).body.ended, 1, 'ending all others')
  t.equal((await a.call('GET', '/api/v1/me', { token: third.token })).status, 401)
  t.equal((await a.call('DELETE', `/api/v1/me/sessions/${third.sessionId}`, { token: admin })).status, 404, "nobody ends another person's session")
  const page = await a.call('POST', '/api/v1/auth/sign-out', { body: { refreshToken: desk.refreshToken } })
  t.equal(page.status, 204)
  t.equal((await a.call('GET', '/api/v1/me', { token: desk.token })).status, 401, 'signing out refuses the bearer token at once too')
})

t.test("an administrator's password older than 60 days is replaced at sign-in, before the second factor", async (t) => {
  const p = await startTestPlatform(t, { mfaRoles: ['platform-admin'] })
  const { enrolTotp, totpCode } = await import('../helpers/factors.ts')
  const { secret, token } = await enrolTotp(p, 'admin', ADMIN_PASSWORD)
  const me = await p.call('GET', '/api/v1/me', { token })
  t.ok(Math.abs(Date.parse(me.body.security.passwordExpiresAt) - (Date.now() + 60 * DAY)) < 60_000, 'the console is told when it expires: 60 days on')
  await p.platform.services.db.knex('users').where({ username: 'admin' }).update({ password_changed_at: new Date(Date.now() - 61 * DAY).toISOString() })
  const first = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
  t.match(first.body, { next: 'password' }, 'expired: a new password comes first')
  t.equal((await p.call('POST', '/api/v1/auth/factor', { body: { ticket: first.body.ticket, code: totpCode(secret, 30) } })).body.error.code, 'CORE_ERR_TICKET_ENDED', 'the factor cannot skip it')
  const same = await p.call('POST', '/api/v1/auth/new-password', { body: { ticket: first.body.ticket, newPassword: ADMIN_PASSWORD } })
  t.equal(same.body.error.code, 'CORE_ERR_PASSWORD_REJECTED', 'not the same one again')
  const changed = await p.call('POST', '/api/v1/auth/new-password', { body: { ticket: first.body.ticket, newPassword: 'một-mật-khẩu-mới-của-quản-trị' } })
  t.match(changed.body, { next: 'factor', factors: ['totp', 'recovery'] }, 'then the second factor')
  const signedIn = await p.call('POST', '/api/v1/auth/factor', { body: { ticket: first.body.ticket, code: totpCode(secret, 30) } })
  t.equal(signedIn.status, 200)
  t.equal((await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: 'một-mật-khẩu-mới-của-quản-trị' } })).body.next, 'factor', 'the new password is the one now')
})

// SQLite pass only: what is tested is the HTTP layer, not storage.
import t from 'tap'
import { ERROR_TEXTS } from '../../core/error-texts.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('errors answer in the language asked for, the code unchanged, the particulars in a detail', async (t) => {
  const p = await startPluginPlatform(t)
  const vi = { 'accept-language': 'vi-VN,vi;q=0.9,en;q=0.5' }
  const badSignIn = await p.call('POST', '/api/v1/auth/token', { body: { username: 'admin', password: 'sai-mật-khẩu-rồi' }, headers: vi })
  t.equal(badSignIn.status, 401)
  t.match(badSignIn.body.error, { code: 'CORE_ERR_BAD_CREDENTIALS', message: 'Tên đăng nhập hoặc mật khẩu không đúng.' })
  const missing = await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'x' }, headers: vi })
  t.equal(missing.status, 422)
  t.match(missing.body.error, { code: 'CORE_ERR_MISSING_FIELD', message: ERROR_TEXTS.CORE_ERR_MISSING_FIELD!.vi, field: 'password', detail: /password/ }, 'the field named, the English particulars kept')
  const english = await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'x' }, headers: { 'accept-language': 'en-GB' } })
  t.match(english.body.error, { code: 'CORE_ERR_MISSING_FIELD', message: /password/ })
  t.notOk('detail' in english.body.error, 'in English the message is the particulars themselves')
  t.match((await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'x' } })).body.error, { message: /password/ }, 'no Accept-Language: English')
  // Through the plugin gateway too: a route that does not exist, and a plugin's own failure.
  await p.install('hn', 'bad', 'misbehave')
  t.match((await p.call('GET', '/t/hn/bad/no-such-route', { headers: vi })).body.error, { code: 'CORE_ERR_NOT_FOUND', message: ERROR_TEXTS.CORE_ERR_NOT_FOUND!.vi })
  t.match((await p.call('GET', '/t/hn/bad/spin', { headers: vi })).body.error, { code: 'SBX_ERR_TIMEOUT', message: ERROR_TEXTS.SBX_ERR_TIMEOUT!.vi, detail: /ran past/ })
})

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
  t.match(missing.body.error, { code: 'CORE_ERR_MISSING_FIELD', message: ERROR_TEXTS.CORE_ERR_MISSING_FIELD!.vi, field: 'password', detail: /password/i }, 'the field named, the English particulars kept')
  const english = await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'x' }, headers: { 'accept-language': 'en-GB' } })
  t.match(english.body.error, { code: 'CORE_ERR_MISSING_FIELD', message: /Password is required/ })
  t.notOk('detail' in english.body.error, 'in English the message is the particulars themselves')
  t.match((await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'x' } })).body.error, { message: /Password is required/ }, 'no Accept-Language: English')
  // Through the plugin gateway too: a route that does not exist, and a plugin's own failure.
  await p.install('hn', 'bad', 'misbehave')
  t.match((await p.call('GET', '/t/hn/bad/no-such-route', { headers: vi })).body.error, { code: 'CORE_ERR_NOT_FOUND', message: ERROR_TEXTS.CORE_ERR_NOT_FOUND!.vi })
  t.match((await p.call('GET', '/t/hn/bad/spin', { headers: vi })).body.error, { code: 'SBX_ERR_TIMEOUT', message: ERROR_TEXTS.SBX_ERR_TIMEOUT!.vi, detail: /ran past/ })
})

t.test('each field problem says which field by its name and what is expected, in words, never as a pattern', async (t) => {
  const p = await startPluginPlatform(t)
  const vi = { 'accept-language': 'vi' }
  const badCode = await p.call('POST', '/api/v1/tenants/vn/children', { token: p.admin, body: { code: 'Ba Đình', name: 'Phường Ba Đình' }, headers: vi })
  t.equal(badCode.status, 422)
  t.match(badCode.body.error, { code: 'CORE_ERR_INVALID_FIELD', field: 'code', message: /^Mã: chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang/ }, 'one problem: its own words as the message')
  const several = await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'Nguyễn Văn A', password: 'ngắn', roles: 'officer', extra: 1 }, headers: vi })
  t.equal(several.status, 422)
  const said = several.body.error.errors.map((e: { message: string }) => e.message).join('\n')
  t.match(said, /Tên đăng nhập: chỉ gồm chữ thường không dấu/)
  t.match(said, /Vai trò: phải là một danh sách\./)
  t.match(said, /Trường extra: trường này không có trong lược đồ, hãy bỏ đi\./)
  t.notMatch(JSON.stringify(several.body.error.errors), /\^|must match|\[a-z/, 'no pattern, no validator jargon')
  const english = await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'Nguyễn Văn A', password: 'ngắn', roles: 'officer' }, headers: { 'accept-language': 'en' } })
  t.match(english.body.error.errors.map((e: { message: string }) => e.message).join('\n'), /Username: lower-case letters without marks[\s\S]*Roles: must be a list\./)
  t.notOk(english.body.error.errors.some((e: Record<string, unknown>) => 'vi' in e), 'one language per answer')
})

t.test('fields named like the language\'s own properties are told apart, not a crash', async (t) => {
  const p = await startPluginPlatform(t)
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    const answer = await p.call('POST', '/api/v1/auth/refresh', { body: JSON.parse(`{"refreshToken": "x", "${name}": {"a": 1}}`) as unknown, headers: { 'accept-language': 'vi' } })
    t.equal(answer.status, 422, name)
    t.match(answer.body.error.message, new RegExp(`^Trường ${name}: trường này không có trong lược đồ`), `${name}: said in words`)
  }
})

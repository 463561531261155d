// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('a plugin page\'s token acts as the user on that plugin\'s routes at that unit, and is refused everywhere else', async (t) => {
  const p = await startPluginPlatform(t)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'an', password: 'mật-khẩu-của-an', displayName: 'Nguyễn Văn An', roles: ['member'] } })
  const an = await p.signIn('an', 'mật-khẩu-của-an')
  await p.install('hn', 'probe', 'page-probe')
  await p.install('hn', 'other', 'page-probe')
  await p.install('hcm', 'probe', 'page-probe')
  const issued = await p.call('POST', '/api/v1/tenants/hn/plugins/probe/page-token', { token: an })
  t.equal(issued.status, 200)
  t.match(issued.body, { audience: 't/hn/probe', user: { username: 'an', displayName: 'Nguyễn Văn An', tenant: 'hn', roles: ['member'] } })
  const expires = Date.parse(issued.body.expiresAt) - Date.now()
  t.ok(expires > 240_000 && expires <= 300_000, `good for five minutes (${Math.round(expires / 1000)} s)`)
  const page = issued.body.token as string
  t.match((await p.call('GET', '/t/hn/probe/me', { token: page })).body, { user: { username: 'an', roles: ['member'] } }, 'on its plugin\'s routes it is the user')
  t.match((await p.call('POST', '/t/hn/probe/notes', { token: page, body: { text: 'x' } })).body, { by: 'an' })
  const elsewhere = [['GET', '/api/v1/me'], ['GET', '/api/v1/tenants/hn/users'], ['POST', '/api/v1/tenants/hn/plugins/probe/page-token'], ['GET', '/t/hn/other/me'], ['GET', '/t/hcm/probe/me']] as const
  // Tried over and over, while another tenant is served.
  const attempt = async ([method, path]: typeof elsewhere[number]) => {
    const response = await p.call(method, path, { token: page })
    return { method, path, status: response.status, code: response.body.error?.code }
  }
  const { statuses, result: refusals } = await whileNeighbourServes(p, () => Promise.all(Array.from({ length: 4 }, () => elsewhere).flat().map(attempt)))
  for (const { method, path, status, code } of refusals.slice(0, elsewhere.length)) {
    t.equal(status, 401, `${method} ${path}: refused`)
    t.equal(code, 'CORE_ERR_UNAUTHENTICATED')
  }
  t.ok(refusals.every((r) => r.status === 401), `all ${refusals.length} attempts refused`)
  t.ok(statuses.length > 0 && statuses.every((s) => s === 200), `hcm's neighbour kept answering (${statuses.length} requests)`)
  t.equal((await p.call('POST', '/api/v1/tenants/hcm/plugins/probe/page-token', { token: an })).status, 404, 'no page token for a unit the user cannot see')
  t.equal((await p.call('POST', '/api/v1/tenants/hn/plugins/nothing/page-token', { token: an })).status, 404, 'nor for a mount where nothing is served')
  t.equal((await p.call('POST', '/api/v1/tenants/hn/plugins/probe/page-token')).status, 401, 'nor without signing in')
  t.equal((await p.call('PATCH', '/api/v1/tenants/hn/users/an', { token: p.admin, body: { disabled: true } })).status, 200)
  t.equal((await p.call('GET', '/t/hn/probe/me', { token: page })).status, 401, 'disabling the user revokes its page tokens at once')
  const sdk = await p.call('GET', '/t/hn/probe/ui/nentang-page.js')
  t.equal(sdk.status, 200)
  t.match(sdk.headers.get('content-type'), /javascript/)
  t.match(sdk.body, /export const page/, 'the page SDK is served beside every plugin\'s pages')
})

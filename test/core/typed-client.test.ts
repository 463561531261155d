// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { createClient } from '../../client/client.ts'
import { generateSchema } from '../../client/generate.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

t.test('the typed client is generated from the OpenAPI document and is not stale', async (t) => {
  const p = await startTestPlatform(t)
  const document = (await p.call('GET', '/api/v1/openapi.json')).body
  const committed = readFileSync(new URL('../../client/schema.ts', import.meta.url), 'utf8')
  t.ok(generateSchema(document) === committed, 'client/schema.ts matches the document; if not, run `node client/generate.ts`')
})

t.test('another system uses the typed client over HTTP', async (t) => {
  const p = await startTestPlatform(t)
  const anonymous = createClient(p.url)
  const signIn = await anonymous.POST('/api/v1/auth/token', { body: { username: 'admin', password: ADMIN_PASSWORD } })
  t.equal(signIn.response.status, 200)
  const token = signIn.data!.token!
  const api = createClient(p.url, token)

  const created = await api.POST('/api/v1/tenants/{code}/children', { params: { path: { code: 'vn' } }, body: { code: 'hn', name: 'Hà Nội', adminUnitCode: '01' } })
  t.equal(created.response.status, 201)
  t.equal(created.data?.code, 'hn')
  const read = await api.GET('/api/v1/tenants/{code}', { params: { path: { code: 'hn' } } })
  t.match(read.data, { code: 'hn', name: 'Hà Nội', parent: 'vn', adminUnitCode: '01' })
  const found = await api.GET('/api/v1/tenants/{code}/search', { params: { path: { code: 'vn' }, query: { q: 'ha noi' } } })
  t.same(found.data?.items?.map((tenant) => tenant.code), ['hn'])

  const refused = await api.POST('/api/v1/tenants/{code}/children', { params: { path: { code: 'vn' } }, body: { code: 'hn', name: 'again' } })
  t.equal(refused.response.status, 409)
  t.equal(refused.error?.error?.code, 'CORE_ERR_TENANT_EXISTS', 'errors are typed too')
  const bad = await api.POST('/api/v1/tenants/{code}/users', { params: { path: { code: 'hn' } }, body: { username: 'x', password: 'short' } })
  t.equal(bad.response.status, 422)
  t.ok(typeof bad.error?.error?.field === 'string', 'naming the field')
})

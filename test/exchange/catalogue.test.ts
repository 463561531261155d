import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { startExchangePlatform } from '../helpers/exchange.ts'

t.test('a published service is in the connection catalogue with its unit, auth and a valid OpenAPI 3.1 document', async (t) => {
  const p = await startExchangePlatform(t)
  t.same((await p.call('GET', '/api/v1/catalogue')).body, { services: [] }, 'nothing is offered until a unit publishes it')
  const publish = (body: Record<string, unknown>, token = p.admin): Promise<{ status: number, body: any }> => p.call('PUT', '/api/v1/tenants/hn/published-services/tra-cuu-ho-so', { token, body })
  const published = await publish({ mount: 'x', method: 'GET', path: '/granted', title: 'Tra cứu hồ sơ', description: 'Cho hệ thống một cửa của các sở, ngành tra cứu hồ sơ.' })
  t.equal(published.status, 200)

  const catalogue = (await p.call('GET', '/api/v1/catalogue')).body.services
  t.equal(catalogue.length, 1)
  t.match(catalogue[0], {
    tenant: 'hn',
    code: 'tra-cuu-ho-so',
    title: 'Tra cứu hồ sơ',
    method: 'GET',
    url: '/t/hn/x/granted',
    available: true,
    auth: { type: 'oauth2-client-credentials', tokenUrl: '/api/v1/auth/client-token', role: 'lgsp-client' },
    openapi: '/api/v1/catalogue/hn/tra-cuu-ho-so/openapi.json',
  })
  t.same((await p.call('GET', '/api/v1/catalogue/hn')).body.services.map((one: { code: string }) => one.code), ['tra-cuu-ho-so'], 'per unit (listMethods)')
  t.same((await p.call('GET', '/api/v1/catalogue/hcm')).body.services, [])
  t.equal((await p.call('GET', '/api/v1/catalogue/no-such-unit')).status, 404)

  const document = (await p.call('GET', '/api/v1/catalogue/hn/tra-cuu-ho-so/openapi.json')).body
  await t.resolves(SwaggerParser.validate(structuredClone(document)), 'an OpenAPI 3.1 validator accepts it')
  t.equal(document.openapi, '3.1.0')
  t.same(Object.keys(document.paths), ['/t/hn/x/granted'], 'the published route alone')
  t.equal(document.info.title, 'Tra cứu hồ sơ')

  // The catalogue names the way in; the way in works for a system with the role.
  const client = (await p.call('POST', '/api/v1/tenants/hn/clients', { token: p.admin, body: { name: 'Một cửa Sở Tư pháp', roles: ['lgsp-client'] } })).body
  const token = (await p.call('POST', '/api/v1/auth/client-token', {
    raw: Buffer.from(new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString()),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })).body.access_token
  t.equal((await p.call('GET', catalogue[0].url, { token })).status, 200)

  const refused = await publish({ mount: 'x', method: 'GET', path: '/khong-co', title: 'x' })
  t.equal(refused.status, 422, 'a route the plugin does not have')
  t.equal(refused.body.error.field, 'path')
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/published-services/x1', { token: p.admin, body: { mount: 'none', method: 'GET', path: '/granted', title: 'x' } })).status, 404)
  t.equal((await publish({ mount: 'x', method: 'GET', path: '/granted', title: 'x' }, token)).status, 401, 'a system cannot publish')
  t.equal((await p.call('DELETE', '/api/v1/tenants/hn/published-services/tra-cuu-ho-so', { token: p.admin })).status, 204)
  t.same((await p.call('GET', '/api/v1/catalogue')).body.services, [], 'withdrawn')
  t.equal((await p.call('GET', '/api/v1/catalogue/hn/tra-cuu-ho-so/openapi.json')).status, 404)
})

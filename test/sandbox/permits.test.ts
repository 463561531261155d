import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'

t.test('examples/permits end to end over HTTP', async (t) => {
  const p = await startPluginPlatform(t)
  const admin = p.admin
  await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'citizen', password: 'citizen-password', roles: ['member'] } })
  await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'officer', password: 'officer-password', roles: ['officer', 'member'] } })
  await p.install('hn', 'permits', `${examples}permits`, { settings: { maxPerUser: 2 } })
  const citizen = await p.signIn('citizen', 'citizen-password')
  const officer = await p.signIn('officer', 'officer-password')

  const created = await p.call('POST', '/t/hn/permits/permits', { token: citizen, body: { plate: '29A-123.45', street: 'Phố Hàng Bông', months: 3 } })
  t.equal(created.status, 201)
  t.match(created.body, { plate: '29A-123.45', months: 3, fee: 300000, owner: 'citizen', status: 'pending', _id: /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/ }, 'a UUID version 7')
  await p.call('POST', '/t/hn/permits/permits', { token: citizen, body: { plate: '30E-999.99', street: 'Phố Huế' } })
  const third = await p.call('POST', '/t/hn/permits/permits', { token: citizen, body: { plate: '30E-111.11', street: 'Phố Huế' } })
  t.equal(third.status, 409, 'the setting maxPerUser=2 holds')

  const read = await p.call('GET', `/t/hn/permits/permits/${created.body._id}`, { token: citizen })
  t.equal(read.status, 200)
  t.equal(read.body.street, 'Phố Hàng Bông')

  const approved = await p.call('POST', `/t/hn/permits/permits/${created.body._id}/approve`, { token: officer, body: { note: 'ok' } })
  t.equal(approved.status, 200)
  t.match(approved.body, { status: 'approved', approvedBy: 'officer' })

  const filtered = await p.call('GET', '/t/hn/permits/permits?status=pending', { token: citizen })
  t.same(filtered.body.items.map((permit: { plate: string }) => permit.plate), ['30E-999.99'], 'list with a filter')
  const all = await p.call('GET', '/t/hn/permits/permits', { token: officer })
  t.equal(all.body.items.length, 2, 'an officer sees every permit')

  const forbidden = await p.call('POST', `/t/hn/permits/permits/${created.body._id}/approve`, { token: citizen, body: {} })
  t.equal(forbidden.status, 403, 'a member is refused the officer-only route')
  t.equal(forbidden.body.error.code, 'CORE_ERR_FORBIDDEN')
  t.equal((await p.call('GET', '/t/hn/permits/stats', { token: citizen })).status, 403)

  const bad = await p.call('POST', '/t/hn/permits/permits', { token: citizen, body: { plate: 'not a plate', street: 'x' } })
  t.equal(bad.status, 422, 'a bad body is refused before the plugin runs')
  t.equal(bad.body.error.field, 'plate')
  const unknown = await p.call('POST', '/t/hn/permits/permits', { token: citizen, body: { plate: '29A-123.45', street: 'x', colour: 'red' } })
  t.equal(unknown.status, 422)
  t.equal(unknown.body.error.field, 'colour')

  const stats = await p.call('GET', '/t/hn/permits/stats', { token: officer })
  t.same(stats.body.byStatus.sort((a: { status: string }, b: { status: string }) => a.status.localeCompare(b.status)), [
    { status: 'approved', count: 1, fees: 300000 },
    { status: 'pending', count: 1, fees: 100000 },
  ], 'aggregate by status')

  t.equal((await p.call('GET', '/t/hn/permits/permits')).status, 401, 'anonymous callers must sign in')
  await p.call('POST', '/api/v1/tenants/hcm/users', { token: admin, body: { username: 'stranger', password: 'stranger-password', roles: ['member'] } })
  const stranger = await p.signIn('stranger', 'stranger-password')
  t.equal((await p.call('GET', '/t/hn/permits/permits', { token: stranger })).status, 404, 'a user of another tenant finds nothing')
})

t.test("each installation's routes are described at /t/{tenant}/{mount}/openapi.json", async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'permits', `${examples}permits`)
  const document = (await p.call('GET', '/t/hn/permits/openapi.json')).body
  t.match(document, { openapi: '3.1.0', info: { title: '@hn/permits at hn/permits', version: '1.0.0' } })
  t.same(Object.keys(document.paths).sort(), ['/t/hn/permits/permits', '/t/hn/permits/permits/{id}', '/t/hn/permits/permits/{id}/approve', '/t/hn/permits/stats'])
  t.same(document.paths['/t/hn/permits/permits'].post.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/permitRequest' }, 'with the body schema the gateway validates against')
  t.match(document.components.schemas.permitRequest, { required: ['plate', 'street'] })
  await t.resolves(SwaggerParser.validate(structuredClone(document)), 'a valid OpenAPI 3.1 document')
})

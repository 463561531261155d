// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { ADMIN_PASSWORD } from '../helpers/platform.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'

t.test('a client\'s X-Request-Id is echoed for its tracing but never stands for the platform\'s in the audit log', async (t) => {
  const p = await startPluginPlatform(t)
  const token = await p.signIn('admin', ADMIN_PASSWORD)
  // An attacker reuses the id of someone else's request, to blur whose action an audit entry records.
  const { statuses, result: [first, second] } = await whileNeighbourServes(p, async () => [
    await p.call('POST', '/api/v1/tenants/hn/children', { token, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' }, headers: { 'x-request-id': 'shared-id-1' } }),
    await p.call('POST', '/api/v1/tenants/hn/children', { token, body: { code: 'hn-hoan-kiem', name: 'Phường Hoàn Kiếm' }, headers: { 'x-request-id': 'shared-id-1' } }),
  ] as const)
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  t.equal(first.headers.get('x-request-id'), 'shared-id-1', 'echoed')
  t.equal(second.status, 201)
  const ids = (await p.platform.services.db.knex('audit_log').where({ action: 'tenant.create' }).whereIn('target', ['hn-ba-dinh', 'hn-hoan-kiem']).select('request_id')).map((row: { request_id: string }) => row.request_id)
  t.equal(ids.length, 2)
  t.notOk(ids.includes('shared-id-1'), 'the audit log holds the platform\'s ids')
  t.not(ids[0], ids[1], 'one per request')
  t.ok(ids.every((id) => /^[0-9a-f-]{36}$/.test(id)))
  const failed = await p.call('GET', '/api/v1/tenants/nowhere', { token, headers: { 'x-request-id': 'shared-id-1' } })
  t.match(failed.body.error.requestId, /^[0-9a-f-]{36}$/, 'an error names the platform\'s id, the one its log line carries')
})

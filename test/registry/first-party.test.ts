import t from 'tap'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { startTestPlatform } from '../helpers/platform.ts'

t.test('a fresh platform has its first-party plugins approved, and any tenant can run them', async (t) => {
  const p = await startPluginPlatform(t)
  const entry = await p.call('GET', '/api/v1/registry/packages/vn/notices/versions/1.0.0', { token: p.admin })
  t.match(entry.body, { name: '@vn/notices', status: 'approved', publisher: 'platform' })

  t.equal((await p.call('PUT', '/api/v1/tenants/hcm/plugins/notices', { token: p.admin, body: { package: '@vn/notices', version: '1.0.0', inherit: true } })).status, 200, 'public: hcm installs it')
  await p.call('POST', '/api/v1/tenants/hcm/users', { token: p.admin, body: { username: 'hcm-officer', password: 'hcm-officer-pw', displayName: 'Lê Văn Cường', roles: ['officer'] } })
  const officer = await p.signIn('hcm-officer', 'hcm-officer-pw')
  const posted = await p.call('POST', '/t/hcm/notices/notices', { token: officer, body: { title: 'Lịch tiếp dân', body: 'Thứ Năm hằng tuần', pinned: true } })
  t.equal(posted.status, 201)
  t.match(posted.body, { title: 'Lịch tiếp dân', author: 'Lê Văn Cường', pinned: true })
  const read = await p.call('GET', '/t/hcm/notices/notices')
  t.same(read.body.items.map((n: { title: string }) => n.title), ['Lịch tiếp dân'], 'anyone reads the board')
  t.equal(p.platform.services.plugins.supervisor.pids('first-party').length, 1, 'it runs in the first-party worker')
  t.equal(p.platform.services.plugins.supervisor.pids('tenant').length, 0, 'never beside tenant plugins')

  const again = await startTestPlatform(t, {}, p)
  t.ok(again.url, 'a second start on the same database')
  const published = await p.platform.services.db.knex('audit_log').where({ action: 'registry.first-party' }).groupBy('target').select('target').count({ n: '*' })
  t.same(published.map((row) => [(row as { target: string }).target, Number(row.n)]).sort(), [['@vn/notices@1.0.0', 1], ['@vn/portal-sync@1.0.0', 1], ['@vn/procedures@1.0.0', 1]], 'publishes each first-party version once')
  const installs = await p.platform.services.db.knex('audit_log').where({ action: 'plugin.install', target: 'procedures' }).count({ n: '*' })
  t.equal(Number(installs[0]!.n), 1, 'installs the procedures at the first start only, not at the second')
})

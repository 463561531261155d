import t from 'tap'
import { request } from '../helpers/http.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { helloPackage } from '../helpers/tgz.ts'
import { until } from '../helpers/wait.ts'

// The installation cache's safety net (registry/installation-resolver.ts): every 15 s a node compares the database's
// serving epoch with the one it last saw, and rebuilds its cached entries only when it moved.
t.test('a change no node was told of is served within the reconcile period; with nothing changed, nothing is re-read', async (t) => {
  const p = await startPluginPlatform(t)
  await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  const dev = await p.signIn('hn-dev', 'hn-dev-password')
  for (const version of ['1.0.0', '1.1.0']) {
    const uploaded = await request(p.url, 'POST', '/api/v1/registry/packages', { token: dev, raw: await helloPackage(version), headers: { 'content-type': 'application/gzip' } })
    t.equal(uploaded.status, 201)
    t.equal((await p.call('POST', `/api/v1/registry/packages/hn/hello/versions/${version}/approve`, { token: p.admin, body: {} })).status, 200)
  }
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version: '1.0.0', inherit: true } })).status, 200)
  const wards = Array.from({ length: 30 }, (_, i) => `hn-phuong-${i}`)
  for (const [index, code] of wards.entries()) {
    t.equal((await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code, name: `Phường Hòa Bình ${index + 1}` } })).status, 201)
    t.match((await p.call('GET', `/t/${code}/hello/hello`)).body, { version: '1.0.0', tenant: code })
  }

  const { knex } = p.platform.services.db
  const postgres = knex.client.config.client === 'pg'
  if (postgres) {
    // What the cache reads to rebuild an entry, counted by PostgreSQL itself over two reconcile periods of quiet.
    const reads = async (): Promise<number> => {
      const { rows } = await knex.raw("select coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)::int as n from pg_stat_user_tables where relname in ('installations', 'installation_secrets', 'installation_settings')")
      return Number(rows[0].n)
    }
    await new Promise((resolve) => setTimeout(resolve, 16_000))
    const before = await reads()
    await new Promise((resolve) => setTimeout(resolve, 16_000))
    const after = await reads()
    t.ok(after - before < 10, `a reconcile period of quiet: ${after - before} reads of the installation tables (31 cached entries re-read would be ~90)`)
  }

  // Switched in the database alone: no notification, no route told the node.
  await knex('installations').where({ mount: 'hello' }).update({ version: '1.1.0' })
  const started = Date.now()
  const served = await until(async () => (await p.call('GET', `/t/${wards[7]}/hello/hello`)).body.version, (version) => version === '1.1.0', 20_000)
  t.equal(served, '1.1.0', 'the ward serves the version the database names')
  t.ok(Date.now() - started < 17_000, `served the new version after ${Date.now() - started} ms`)
  t.match((await p.call('GET', '/t/hn/hello/hello')).body, { version: '1.1.0' }, 'and the province too')
})

import t from 'tap'
import { testDialect } from '../helpers/database.ts'
import { request } from '../helpers/http.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { within } from '../helpers/wait.ts'
import { startTestPlatform } from '../helpers/platform.ts'
import { helloPackage } from '../helpers/tgz.ts'

// B hears of a change at once (LISTEN/NOTIFY) and then prepares the version: a second or two on an idle machine, more
// beside the rest of the suite. The delays are printed; the bound only says B got there without a restart.
const PROPAGATION_MS = 15_000

t.test('two gateway nodes: install, switch and revoke on A reach B without a restart (each delay printed); B converges after losing its connection', { skip: testDialect === 'postgres' ? false : 'several gateway nodes share a PostgreSQL database; this runs in the PostgreSQL pass' }, async (t) => {
  const a = await startPluginPlatform(t)
  const b = await startTestPlatform(t, {}, a)
  await a.call('POST', '/api/v1/tenants/hn/users', { token: a.admin, body: { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] } })
  const dev = await a.signIn('hn-dev', 'hn-dev-password')
  for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
    await request(a.url, 'POST', '/api/v1/registry/packages', { token: dev, raw: await helloPackage(version), headers: { 'content-type': 'application/gzip' } })
    await a.call('POST', `/api/v1/registry/packages/hn/hello/versions/${version}/approve`, { token: a.admin, body: {} })
  }
  const versionOnB = async () => {
    const response = await b.call('GET', '/t/hn/hello/hello')
    return response.status === 200 ? response.body.version as string : `status ${response.status}`
  }

  await a.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: a.admin, body: { package: '@hn/hello', version: '1.0.0' } })
  const installMs = await within(PROPAGATION_MS, async () => (await versionOnB()) === '1.0.0')
  t.pass(`installed on A, served by B after ${installMs} ms`)
  await a.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: a.admin, body: { package: '@hn/hello', version: '1.1.0' } })
  const switchMs = await within(PROPAGATION_MS, async () => (await versionOnB()) === '1.1.0')
  t.pass(`switched on A, B serves 1.1.0 after ${switchMs} ms`)
  await a.call('POST', '/api/v1/registry/packages/hn/hello/versions/1.1.0/revoke', { token: a.admin, body: { reason: 'test' } })
  const revokeMs = await within(PROPAGATION_MS, async () => (await versionOnB()) === 'status 410')
  t.pass(`revoked on A, B answers 410 after ${revokeMs} ms`)

  await a.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: a.admin, body: { package: '@hn/hello', version: '1.0.0' } })
  await within(PROPAGATION_MS, async () => (await versionOnB()) === '1.0.0')
  // Cut node B's listening connection, then change something on A while B cannot hear it.
  await a.platform.services.db.knex.raw('select pg_terminate_backend(pid) from pg_stat_activity where application_name = ?', [b.platform.services.changes.name])
  await within(PROPAGATION_MS, async () => !b.platform.services.changes.healthy)
  await a.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: a.admin, body: { package: '@hn/hello', version: '1.2.0' } })
  const convergeMs = await within(10_000, async () => (await versionOnB()) === '1.2.0')
  t.ok(b.platform.services.changes.healthy, 'B reconnected')
  t.pass(`B converged on 1.2.0 ${convergeMs} ms after the change it missed`)
})

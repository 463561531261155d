// SQLite pass only: what is tested is the isolate, the worker process or the HTTP layer, not storage.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startTestPlatform } from '../helpers/platform.ts'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'
import { folderEntries, tgz } from '../helpers/tgz.ts'

const files = (dir: string): string[] => existsSync(dir) ? readdirSync(dir) : []

t.test('an upload is unpacked for its check only, removed after, and never where approved code is loaded from', async (t) => {
  const p = await startPluginPlatform(t)
  const upload = async (entries: Parameters<typeof tgz>[0]) => p.call('POST', '/api/v1/registry/packages', { token: p.admin, raw: await tgz(entries), headers: { 'content-type': 'application/gzip' } })
  const created = await upload(folderEntries(`${examples}hello`))
  t.equal(created.status, 201)
  t.same(files(join(p.config.dataDir, 'packages')), [], 'nothing unpacked where workers load approved code')
  t.same(files(join(p.config.dataDir, 'checks')), [], 'the check\'s folder is gone')

  const { statuses, result: colliding } = await whileNeighbourServes(p, async () => upload([...folderEntries(`${examples}hello`, (m) => ({ ...m, version: '1.0.1' })), { name: 'index.js/x.js', content: 'export const x = 1' }]))
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  t.equal(colliding.status, 422, 'a file and a folder of one name')
  t.equal(colliding.body.error.code, 'REG_ERR_PACKAGE_INVALID')
  t.same(files(join(p.config.dataDir, 'checks')), [], 'and no debris')
})

t.test('approved code changed on disk is not loaded: the package is unpacked again from its verified bytes', async (t) => {
  const p = await startPluginPlatform(t)
  t.equal((await p.call('POST', '/api/v1/registry/packages', { token: p.admin, raw: await tgz(folderEntries(`${examples}hello`)), headers: { 'content-type': 'application/gzip' } })).status, 201)
  await p.call('POST', '/api/v1/tenants/vn/users', { token: p.admin, body: { username: 'reviewer', password: 'reviewer-password', roles: ['platform-admin'] } })
  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/hello/versions/1.0.0/approve', { token: await p.signIn('reviewer', 'reviewer-password'), body: {} })).status, 200)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: p.admin, body: { package: '@hn/hello', version: '1.0.0' } })).status, 200)
  const greeting = (await p.call('GET', '/t/hn/hello/hello')).body
  const [folder] = files(join(p.config.dataDir, 'packages'))
  t.ok(folder !== undefined, 'unpacked once approved and installed')
  writeFileSync(join(p.config.dataDir, 'packages', folder!, 'index.js'), 'export function hello () { return { pwned: true } }')
  // A second node on the same database and data folder loads the package from disk.
  const second = await startTestPlatform(t, {}, p)
  t.same((await second.call('GET', '/t/hn/hello/hello')).body, greeting, 'it serves the approved code')
  t.notMatch(readFileSync(join(p.config.dataDir, 'packages', folder!, 'index.js'), 'utf8'), /pwned/, 'the file on disk was written afresh')
})

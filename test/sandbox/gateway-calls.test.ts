import { createHash } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { createExports } from '../../platform/exports.ts'
import { createGatewayCalls } from '../../platform/gateway-calls.ts'
import type { GatewayCall } from '../../sandbox/protocol.ts'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { fixtures, startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'

/** The registrar's code under another name, asking for no permission: what it may not do. */
function unpermitted (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'nentang-registrar-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(fixtures, 'registrar'), dir, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(dir, 'plugin.json'), 'utf8'))
  writeFileSync(join(dir, 'plugin.json'), JSON.stringify({ ...manifest, name: '@hn/registrar-unpermitted', permissions: {} }))
  return dir
}

/**
 * hn with a commune below it, an officer of hn and its communes, a member of the commune, and the registrar installed
 * at the commune.
 */
async function registryOffice (t: Test): Promise<PluginPlatform & { officer: string }> {
  const p = await startPluginPlatform(t)
  const admin = { token: p.admin }
  t.equal((await p.call('POST', '/api/v1/tenants/hn/children', { ...admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình', adminUnitCode: '00004' } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/tenants/hn/users', { ...admin, body: { username: 'binh', password: 'mật-khẩu-của-bình', displayName: 'Trần Thị Bình' } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/tenants/hn/grants', { ...admin, body: { username: 'binh', role: 'officer', includeDescendants: true } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { ...admin, body: { username: 'an', password: 'mật-khẩu-của-an', displayName: 'Nguyễn Văn An', roles: ['member'] } })).status, 201)
  await p.install('hn-ba-dinh', 'reg', 'registrar')
  await p.install('hn-ba-dinh', 'plain', unpermitted(t))
  return { ...p, officer: await p.signIn('binh', 'mật-khẩu-của-bình') }
}

t.test('audit.record writes to the platform\'s audit log as the plugin, for the unit and the caller the gateway knows', async (t) => {
  const p = await registryOffice(t)
  const answer = await p.call('POST', '/t/hn-ba-dinh/reg/approve/HS-2026-001', { token: p.officer, body: { note: 'Hồ sơ đầy đủ' } })
  t.same(answer.body, { approved: 'HS-2026-001' })
  const entries = (await p.call('GET', '/api/v1/tenants/hn-ba-dinh/audit?action=plugin:@hn/registrar:', { token: p.admin })).body.items
  t.equal(entries.length, 1)
  t.match(entries[0], { actor: 'binh', action: 'plugin:@hn/registrar:dossier.approved', tenant: 'hn-ba-dinh', target: 'HS-2026-001', details: { note: 'Hồ sơ đầy đủ' }, requestId: answer.headers.get('x-request-id') })
  const anonymous = await p.call('POST', '/t/hn-ba-dinh/reg/record', { body: { action: 'kiosk.visit', target: null, details: { quầy: 3 } } })
  t.same(anonymous.body, { result: null })
  const visit = (await p.call('GET', '/api/v1/tenants/hn-ba-dinh/audit?action=plugin:@hn/registrar:kiosk.visit', { token: p.admin })).body.items
  t.match(visit, [{ actor: null, details: { quầy: 3 } }], 'a public route records no actor')
  t.match((await p.call('GET', '/api/v1/audit/verification', { token: p.admin })).body, { ok: true }, 'and the chain still verifies')
})

t.test('what a plugin may not record: no permission, a bad action, a target or details too large, many at once', async (t) => {
  const p = await registryOffice(t)
  const record = (mount: string, body: unknown): Promise<any> => p.call('POST', `/t/hn-ba-dinh/${mount}/record`, { body }).then((answer) => answer.body)
  t.match(await record('plain', { action: 'x.y' }), { error: 'PermissionDenied' }, 'a manifest without `audit`')
  t.match(await record('reg', { action: 'Xoá sạch' }), { error: 'InvalidArgument', message: /lower-case/ })
  t.match(await record('reg', { action: 'ok', target: 'x'.repeat(257) }), { error: 'InvalidArgument', message: /256/ })
  t.match(await record('reg', { action: 'ok', details: { text: 'đ'.repeat(5000) } }), { error: 'InvalidArgument', message: /4096/ })
  t.match(await record('reg', { action: 'ok', details: [1, 2] }), { error: 'InvalidArgument', message: /details must be an object/ })
  const { statuses, result } = await whileNeighbourServes(p, () => Promise.all(Array.from({ length: 40 }, (_, i) => record('reg', { action: 'burst', target: String(i) }))))
  t.ok(statuses.every((s) => s === 200), 'hcm kept answering')
  t.same(result.filter((body) => body.result !== null), [], 'forty entries recorded')
  const entries = (await p.call('GET', '/api/v1/tenants/hn-ba-dinh/audit?action=plugin:@hn/registrar:burst&limit=200', { token: p.admin })).body.items
  t.equal(entries.length, 40)
  t.equal((await p.call('GET', '/api/v1/tenants/hn-ba-dinh/audit?action=plugin:@hn/registrar-unpermitted:', { token: p.admin })).body.items.length, 0, 'nothing from the unpermitted plugin')
  t.match((await p.call('GET', '/api/v1/audit/verification', { token: p.admin })).body, { ok: true })
})

t.test('the gateway checks again what a worker asks: a worker that lies about a permission is refused', async (t) => {
  const p = await startPluginPlatform(t)
  const { services } = p.platform
  const answer = createGatewayCalls({ ...services, exports: createExports(services), exchange: { call: () => Promise.reject(new Error('not called')) } })
  const spec = { key: 'hn/x/@hn/x@1.0.0', tenant: 'hn', tenantId: 2, tenantPath: 'vn/hn', mount: 'x', name: '@hn/x', version: '1.0.0', dir: '/nowhere', main: 'index.js', permissions: {}, limits: { timeoutMs: 1000, memoryMb: 64, hostCalls: 10 }, settings: {}, secrets: {} }
  const request = { method: 'GET', path: '/', params: {}, query: {}, headers: {}, body: null, user: null, tenant: 'hn' }
  await t.rejects(answer({ op: 'audit.record', action: 'forged', target: null, details: {} }, { spec, request, requestId: 'r1' }), { name: 'PermissionDenied' })
  await t.rejects(answer({ op: 'directory.users', role: null }, { spec, request, requestId: 'r1' }), { name: 'PermissionDenied' })
  const forged: GatewayCall[] = [
    { op: 'files.create', name: 'x.txt', type: 'text/plain', content: 'eA==' },
    { op: 'files.url', id: '00000000-0000-4000-8000-000000000000', seconds: 60 },
    { op: 'signature.seal', content: 'eA==' },
    { op: 'exports.start', job: { collection: 'x', columns: ['a'], format: 'csv' } },
  ]
  for (const call of forged) await t.rejects(answer(call, { spec, request, requestId: 'r1' }), { name: 'PermissionDenied' }, call.op)
  const permitted = { ...spec, permissions: { audit: true } }
  await t.rejects(answer({ op: 'audit.record', action: 'Forged Action', target: null, details: {} }, { spec: permitted, request, requestId: 'r1' }), { name: 'InvalidArgument' })
  await t.rejects(answer({ op: 'audit.record', action: 'ok', target: null, details: 'not an object' as never }, { spec: permitted, request, requestId: 'r1' }), { name: 'InvalidArgument' })
})

t.test('directory: the unit\'s officers (granted above it with its descendants) and where it sits in the tree', async (t) => {
  const p = await registryOffice(t)
  const officers = await p.call('GET', '/t/hn-ba-dinh/reg/officers', { token: p.officer })
  t.same(officers.body.officers, [{ username: 'binh', displayName: 'Trần Thị Bình', roles: ['officer'] }])
  t.same(officers.body.everyone.map((user: { username: string }) => user.username), ['admin', 'an', 'binh'], 'every enabled user with a role here (admin holds its roles from vn down), by username')
  t.equal((await p.call('PATCH', '/api/v1/tenants/hn-ba-dinh/users/an', { token: p.admin, body: { disabled: true } })).status, 200)
  t.same((await p.call('GET', '/t/hn-ba-dinh/reg/officers', { token: p.officer })).body.everyone.map((user: { username: string }) => user.username), ['admin', 'binh'], 'a disabled user is not listed')
  const units = await p.call('GET', '/t/hn-ba-dinh/reg/units')
  t.same(units.body.lineage.map((unit: { code: string }) => unit.code), ['vn', 'hn', 'hn-ba-dinh'])
  t.match(units.body.lineage[2], { name: 'Phường Ba Đình', adminUnitCode: '00004' })
  t.same(units.body.children, [])
  t.match((await p.call('GET', '/t/hn-ba-dinh/plain/units')).status, 500, 'without `directory` the plugin\'s call is refused (it does not catch it)')
})

t.test('crypto.digest: a string\'s bytes as they are, a JSON value in canonical form with its text in NFC', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'plain', unpermitted(t))
  const digest = async (algorithm: string, data: unknown): Promise<any> => (await p.call('POST', '/t/hn/plain/digest', { body: { algorithm, data } })).body
  const composed = 'Nguyễn Văn An'.normalize('NFC')
  const decomposed = composed.normalize('NFD')
  const sha = (text: string, algorithm = 'sha256'): string => createHash(algorithm).update(text, 'utf8').digest('hex')
  t.same(await digest('SHA-256', composed), { digest: sha(composed) }, 'no permission needed; the same as Node\'s')
  t.same(await digest('SHA-512', 'x'), { digest: sha('x', 'sha512') })
  // A body's text reaches the plugin in NFC (the gateway normalises it): typed either way, one digest.
  t.same((await digest('SHA-256', decomposed)).digest, (await digest('SHA-256', composed)).digest, 'a decomposed name arrives composed')
  const form = { hoTen: decomposed, soHoSo: 'HS-001', phi: 50000, ngay: '2026-12-02' }
  const canonical = '{"hoTen":"' + composed + '","ngay":"2026-12-02","phi":50000,"soHoSo":"HS-001"}'
  t.same(await digest('SHA-256', form), { digest: sha(canonical) }, 'a form: keys sorted, text in NFC, whatever the keyboard typed')
  t.match(await digest('MD5', 'x'), { error: 'InvalidArgument', message: /SHA-256/ })
})

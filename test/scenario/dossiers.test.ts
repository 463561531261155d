import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import canonicalize from 'canonicalize'
import t, { type Test } from 'tap'
import { testPki } from '../helpers/pki.ts'
import { examples, startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'
import { publishFixture } from '../helpers/registry.ts'
import { until } from '../helpers/wait.ts'

const PASSWORD = 'mật-khẩu-đủ-dài'
const pdf = Buffer.from('%PDF-1.4\n% Giấy chứng nhận quyền sử dụng đất\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')

/** Hà Nội and its ward Ba Đình; the example published through the registry, installed at Hà Nội for its wards too. */
async function registration (t: Test): Promise<PluginPlatform & { as: Record<string, string> }> {
  const p = await startPluginPlatform(t)
  t.equal((await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' } })).status, 201)
  const people: Array<[string, string, string, string[]]> = [
    ['dan', 'hn-ba-dinh', 'Nguyễn Văn An', ['member']],
    ['canbo', 'hn-ba-dinh', 'Trần Thị Bình', ['officer']],
    ['canbo2', 'hn-ba-dinh', 'Lê Văn Cường', ['officer']],
    ['tinh', 'hn', 'Phạm Thị Dung', []],
    ['qtv', 'hn', 'Hoàng Văn Em', []],
  ]
  const as: Record<string, string> = {}
  for (const [username, unit, displayName, roles] of people) {
    const created = await p.call('POST', `/api/v1/tenants/${unit}/users`, { token: p.admin, body: { username, password: PASSWORD, displayName, roles } })
    if (created.status !== 201) throw new Error(JSON.stringify(created.body))
    as[username] = await p.signIn(username, PASSWORD)
  }
  // The province's officer and administrator act for its wards too.
  for (const [username, role] of [['tinh', 'officer'], ['qtv', 'tenant-admin']]) {
    const granted = await p.call('POST', '/api/v1/tenants/hn/grants', { token: p.admin, body: { username, role, includeDescendants: true } })
    if (granted.status !== 201) throw new Error(JSON.stringify(granted.body))
  }
  for (const username of ['tinh', 'qtv']) as[username] = await p.signIn(username, PASSWORD)
  await publishFixture(p, p.admin, `${examples}dossiers`.replace(/^.*\/examples\//, '../../../examples/'))
  const installed = await p.call('PUT', '/api/v1/tenants/hn/plugins/dossiers', { token: p.admin, body: { package: '@hn/dossiers', version: '1.0.0', inherit: true, settings: { deadlineMs: 1500 } } })
  if (installed.status !== 200) throw new Error(JSON.stringify(installed.body))
  return { ...p, as }
}

t.test('household business registration, end to end: apply, attach, sign, decide once, seal, deadline, event, fee, report, export', async (t) => {
  const certs = testPki(t)
  const { dir } = certs
  const p = await registration(t)
  const { as } = p
  const ward = '/t/hn-ba-dinh/dossiers'
  const call = (who: string, method: string, path: string, body?: unknown) => p.call(method, `${ward}${path}`, { token: as[who], ...(body === undefined ? {} : { body }) })

  // The ward's seal, and the authority its people's certificates come from; An registers his own certificate.
  t.equal((await p.call('PUT', '/api/v1/tenants/hn-ba-dinh/seal', { token: as.qtv, body: { certificate: certs.pem('seal'), privateKey: readFileSync(join(dir, 'seal.key'), 'utf8') } })).status, 200)
  t.equal((await p.call('POST', '/api/v1/tenants/hn/trust-anchors', { token: as.qtv, body: { name: 'CA thử nghiệm', certificate: certs.pem('ca1') } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/me/certificates', { token: as.dan, body: { certificate: certs.pem('an') } })).status, 201)

  // The province sets the fee; the ward charges it until it sets its own.
  t.equal((await p.call('PUT', '/t/hn/dossiers/fees', { token: as.qtv, body: { fee: 100_000 } })).status, 200)
  t.same((await call('dan', 'GET', '/fees')).body, { fee: 100_000, setBy: 'hn' })
  t.equal((await call('qtv', 'PUT', '/fees', { fee: 50_000 })).status, 200)
  t.same((await call('dan', 'GET', '/fees')).body, { fee: 50_000, setBy: 'hn-ba-dinh' }, "the ward's own, nearest first")

  // An applies, with Vietnamese as a phone keyboard types it (decomposed marks).
  const submitted = await call('dan', 'POST', '/dossiers', { businessName: 'Phở Hà Nội Gia Truyền'.normalize('NFD'), applicantName: 'Nguyễn Văn An', idNumber: '001090000001', address: '12 Phố Hàng Bông, Ba Đình' })
  t.equal(submitted.status, 201, JSON.stringify(submitted.body))
  const dossier = submitted.body
  t.match(dossier, { state: 'submitted', owner: 'dan', digest: /^[0-9a-f]{64}$/, timer: /^[0-9a-f-]{36}$/ })
  t.equal((await call('dan', 'POST', '/dossiers', { businessName: 'x', applicantName: 'x', idNumber: '12345', address: 'x' })).status, 422, 'a CCCD is 12 digits')

  const form = new FormData()
  form.append('papers', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'Giấy chứng nhận.pdf')
  const attached = await fetch(`${p.url}${ward}/dossiers/${dossier._id}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${as.dan}` }, body: form })
  t.equal(attached.status, 201)
  const shown = (await call('dan', 'GET', `/dossiers/${dossier._id}`)).body
  t.match(shown.attachments, [{ name: 'Giấy chứng nhận.pdf', type: 'application/pdf', url: /^\/api\/v1\/files\/hn-ba-dinh\// }])
  t.same(Buffer.from(await (await fetch(p.url + shown.attachments[0].url)).arrayBuffer()), pdf, 'the paper downloads by its link')
  t.equal((await call('canbo', 'GET', `/dossiers/${dossier._id}`)).status, 200, 'an officer sees it')

  // An signs the application with his own certificate (a .p7s as his signing tool makes it).
  const signed = canonicalize({ businessName: dossier.businessName, applicant: dossier.applicant, address: dossier.address, receivedAt: dossier.receivedAt })!
  t.match((await call('dan', 'POST', `/dossiers/${dossier._id}/signature`, { signature: certs.sign(signed, 'an') })).body, { ok: true, code: 'SIG_OK' })
  t.match((await call('dan', 'POST', `/dossiers/${dossier._id}/signature`, { signature: certs.sign(signed, 'binh') })).body, { error: { code: 'SIG_NOT_SIGNER' } }, "Bình's signature is not An's")

  // Search ignores case and marks.
  t.equal((await call('canbo', 'GET', '/dossiers?q=pho%20ha%20noi')).body.items.length, 1)
  t.equal((await call('canbo', 'GET', '/dossiers?q=bun%20cha')).body.items.length, 0)

  // Two officers decide at once: exactly one wins.
  const decisions = await Promise.all([
    call('canbo', 'POST', `/dossiers/${dossier._id}/decision`, { decision: 'approved', note: 'Đủ điều kiện' }),
    call('canbo2', 'POST', `/dossiers/${dossier._id}/decision`, { decision: 'rejected', note: 'Thiếu giấy tờ' }),
  ])
  t.same(decisions.map((d) => d.status).sort(), [200, 409], `one 200, one 409: ${JSON.stringify(decisions.map((d) => d.body))}`)
  const winner = decisions.find((d) => d.status === 200)!.body
  t.equal((await call('dan', 'POST', `/dossiers/${dossier._id}/decision`, { decision: 'approved' })).status, 403, 'a citizen cannot decide')

  if (winner.state === 'approved') {
    // The certificate the ward issued, sealed with its own key: OpenSSL verifies it over the content it names.
    const done = (await call('dan', 'GET', `/dossiers/${dossier._id}`)).body
    writeFileSync(join(dir, 'cert.p7s'), Buffer.from(await (await fetch(p.url + done.certificate.url)).arrayBuffer()))
    writeFileSync(join(dir, 'cert.json'), canonicalize(done.certificate.content)!)
    execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'cert.p7s', '-content', 'cert.json', '-CAfile', 'ca1.pem', '-purpose', 'any', '-out', '/dev/null'], { cwd: dir, stdio: 'pipe' })
    t.pass('openssl cms -verify accepts the sealed certificate')
  } else t.equal(winner.certificate, null, 'a rejection is not sealed')

  // The decision was announced; its subscriber left a notice.
  const notices = await until(async () => (await call('canbo', 'GET', '/notifications')).body.items, (items) => items.length > 0, 10_000)
  t.match(notices, [{ dossier: dossier._id, decision: winner.state }])

  // A second dossier nobody decides: its deadline (1.5 s here) flags it; the decided one's timer was cancelled.
  const late = (await call('dan', 'POST', '/dossiers', { businessName: 'Bún chả Đắc Kim', applicantName: 'Nguyễn Văn An', idNumber: '001090000001', address: '1 Hàng Mành' })).body
  const flagged = await until(async () => (await call('canbo', 'GET', `/dossiers/${late._id}`)).body, (d) => d.overdue === true, 10_000)
  t.equal(flagged.overdue, true, 'the late dossier is flagged')
  t.notOk((await call('canbo', 'GET', `/dossiers/${dossier._id}`)).body.overdue, 'the decided one is not')

  // The province reports over its wards; officers and units from the directory.
  const report = (await p.call('GET', '/t/hn/dossiers/report', { token: as.tinh })).body.rows
  t.same(report.map((row: { _tenant: string, state: string, n: number }) => [row._tenant, row.state, row.n]).sort(), [['hn-ba-dinh', 'submitted', 1], ['hn-ba-dinh', winner.state, 1]].sort())
  const directory = (await call('canbo', 'GET', '/officers')).body
  t.same(directory.officers.map((u: { username: string }) => u.username).sort(), ['canbo', 'canbo2', 'tinh'])
  t.same(directory.units.lineage.map((u: { code: string }) => u.code), ['vn', 'hn', 'hn-ba-dinh'])

  // The register, exported and downloaded.
  const started = await call('canbo', 'POST', '/exports', { format: 'csv' })
  t.equal(started.status, 202)
  const exported = await until(async () => (await call('canbo', 'GET', `/exports/${started.body.id}`)).body, (s) => s.state !== 'running', 20_000)
  t.match(exported, { state: 'done', rows: 2, file: { name: 'so-dang-ky-ho-kinh-doanh.csv' } })
  const register = await (await fetch(p.url + exported.url)).text()
  t.match(register, /Phở Hà Nội Gia Truyền/, 'in NFC, as stored')
  t.match(register, /Bún chả Đắc Kim/)

  // Everything that mattered is in the platform's audit log.
  const audit = (await p.call('GET', '/api/v1/tenants/hn-ba-dinh/audit?limit=100', { token: p.admin })).body.items.map((e: { action: string }) => e.action)
  for (const action of ['plugin:@hn/dossiers:dossier.submitted', 'plugin:@hn/dossiers:dossier.signed', `plugin:@hn/dossiers:dossier.${winner.state}`]) t.ok(audit.includes(action), action)
})

import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import t from 'tap'
import { testPki } from '../helpers/pki.ts'
import type { PluginPlatform } from '../helpers/plugins.ts'
import { permit, units } from '../helpers/procedures.ts'
import { until } from '../helpers/wait.ts'

// The procedures plugin (`@vn/procedures`, installed at `vn` for every unit at first start) through its HTTP API
// alone, as another system or the plugin's own pages call it: a ward builds a procedure, a citizen files under it,
// officers process it and sign, the ward seals the result, reports count it; a province's procedure serves its
// wards until one overrides it; versions stay pinned; another province sees nothing of it.

const pdf = Buffer.from('%PDF-1.4\n% Bản vẽ thiết kế\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')
const M = '/procedures'

async function upload (p: PluginPlatform, token: string, unit: string, bytes: Buffer, type: string, name: string) {
  const form = new FormData()
  form.append('banVe', new Blob([new Uint8Array(bytes)], { type }), name)
  const response = await fetch(`${p.url}/t/${unit}${M}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  return { status: response.status, body: await response.json() as { files: Array<{ id: string, name: string, type: string, size: number }> } }
}

t.test('a ward builds a procedure; a citizen files; officers process, one wins a race, sign; the ward seals; reports count', async (t) => {
  const certs = testPki(t)
  const { dir } = certs
  const p = await units(t)
  const { as } = p
  const ward = `/t/hn-ba-dinh${M}`
  const call = (who: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    p.call(method, `${ward}${path}`, { token: as[who], ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) })

  t.same((await call('dan', 'GET', '/procedures')).body, { items: [] }, 'installed for every unit at first start: answers, empty')

  // The ward's administrator builds the procedure; a broken definition says what is wrong where.
  const broken = await call('qtvbd', 'POST', '/procedures', { ...permit, form: { sections: [{ title: { vi: 'A' }, fields: [{ name: 'x', type: 'colour', label: { vi: 'X' } }] }] }, workflow: { ...permit.workflow, initial: 'nowhere' } })
  t.equal(broken.status, 422)
  t.match(broken.body.error, { code: 'PROCEDURES_INVALID_DEFINITION', problems: [{ path: 'form.sections[0].fields[0].type' }, { path: 'workflow.initial' }] })
  t.equal((await call('dan', 'POST', '/procedures', permit)).status, 403, 'a citizen cannot define procedures')
  t.equal((await call('qtvbd', 'POST', '/procedures', permit)).status, 201)
  t.same((await call('dan', 'GET', '/procedures')).body, { items: [] }, 'a draft serves nobody')
  t.match((await call('qtvbd', 'POST', `/procedures/${permit.code}/publish`, {})).body, { published: 1 })
  t.match((await call('dan', 'GET', '/procedures')).body.items, [{ code: permit.code, name: permit.name, unit: 'hn-ba-dinh', published: 1, inherited: false }])
  const shown = (await call('dan', 'GET', `/procedures/${permit.code}`)).body
  t.match(shown.published.jsonSchema, { $schema: 'https://json-schema.org/draft/2020-12/schema', required: ['ngayKhoiCong', 'loaiCongTrinh', 'banVe', 'diaBan'] }, 'the form as JSON Schema 2020-12')

  // The citizen attaches the drawings: a PDF is taken, a file that only claims to be one is not.
  t.equal((await upload(p, as.dan!, 'hn-ba-dinh', Buffer.from('not a pdf at all'), 'application/pdf', 'ban-ve.pdf')).status, 415)
  const uploaded = await upload(p, as.dan!, 'hn-ba-dinh', pdf, 'application/pdf', 'Bản vẽ.pdf')
  t.equal(uploaded.status, 201)
  const drawing = uploaded.body.files[0]!
  const data = { ngayKhoiCong: '2026-12-15', loaiCongTrinh: 'sua-chua', banVe: { id: drawing.id, name: drawing.name, type: drawing.type, size: drawing.size }, duToan: 250_000_000, diaBan: '00004' }

  // First with the date missing and a wrong ward: every error, in Vietnamese (English when asked), nothing filed.
  const { ngayKhoiCong: _, ...missing } = data
  const refused = await call('dan', 'POST', '/dossiers', { procedure: permit.code, data: { ...missing, diaBan: '99999', duToan: -5, extra: 1 } })
  t.equal(refused.status, 422)
  t.equal(refused.body.error.code, 'PROCEDURES_INVALID_DATA')
  t.match(refused.body.error.message, /Trường “Ngày khởi công” là bắt buộc/)
  t.same(refused.body.error.fields.map((f: { field: string, code: string }) => [f.field, f.code]).sort(), [['diaBan', 'unit'], ['duToan', 'integer'], ['extra', 'unknown'], ['ngayKhoiCong', 'required']])
  t.match((await call('dan', 'POST', '/dossiers', { procedure: permit.code, data: missing }, { 'accept-language': 'en-GB,en' })).body.error.message, /“Start date” is required/)
  t.same((await call('dan', 'GET', '/dossiers')).body.items, [], 'nothing was filed')

  const filed = await call('dan', 'POST', '/dossiers', { procedure: permit.code, data })
  t.equal(filed.status, 201, JSON.stringify(filed.body))
  const dossier = filed.body
  t.match(dossier, { status: 'filed', state: 'tiep-nhan', receipt: /^HN-BA-DINH-\d{8}-[A-Z0-9]{6}$/, procedure: { code: permit.code, version: 1, unit: 'hn-ba-dinh' }, applicant: { username: 'dan', name: 'Nguyễn Văn An' } })
  t.equal((await call('dan', 'GET', `/dossiers/${dossier._id}`)).body.attachments[0].name, 'Bản vẽ.pdf')

  // The officers' inbox finds it by the applicant's name without marks, or by its receipt code.
  const inbox = (await call('canbo', 'GET', '/dossiers?q=nguyen%20van%20an')).body
  t.same([inbox.overdue, inbox.items.map((d: { _id: string }) => d._id)], [[], [dossier._id]])
  t.same((await call('canbo', 'GET', `/dossiers?q=${dossier.receipt.toLowerCase()}`)).body.items.map((d: { _id: string }) => d._id), [dossier._id])
  t.same((await call('canbo', 'GET', '/dossiers?q=tran')).body.items, [])
  t.equal((await call('hk', 'GET', `/dossiers/${dossier._id}`)).status, 404, 'a member of another ward has no way in')

  // Two officers take the same step at once: one wins, the other is told.
  const race = await Promise.all([
    call('canbo', 'POST', `/dossiers/${dossier._id}/actions`, { action: 'nhan' }),
    call('canbo2', 'POST', `/dossiers/${dossier._id}/actions`, { action: 'nhan' }),
  ])
  t.same(race.map((r) => r.status).sort(), [200, 409], JSON.stringify(race.map((r) => r.body)))
  t.equal((await call('dan', 'POST', `/dossiers/${dossier._id}/actions`, { action: 'cap-phep' })).status, 409, 'a citizen cannot grant')
  t.match((await call('canbo', 'POST', `/dossiers/${dossier._id}/actions`, { action: 'tu-choi' })).body.error.fields, [{ field: 'comment' }], 'refusing needs a comment')

  // Granting needs Bình's own signature over the dossier as it stands: each wrong one refused with its code.
  t.equal((await p.call('POST', '/api/v1/tenants/hn/trust-anchors', { token: as.qtv, body: { name: 'CA thử nghiệm', certificate: certs.pem('ca1') } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/me/certificates', { token: as.canbo, body: { certificate: certs.pem('binh') } })).status, 201)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn-ba-dinh/seal', { token: as.qtvbd, body: { certificate: certs.pem('seal'), privateKey: readFileSync(join(dir, 'seal.key'), 'utf8') } })).status, 200)
  const signing = (await call('canbo', 'GET', `/dossiers/${dossier._id}/signing?action=cap-phep`)).body
  t.match(signing.content, { dossier: { id: dossier._id, state: 'tham-dinh' }, transition: { action: 'cap-phep', by: 'canbo' } })
  for (const [signature, code] of [
    [certs.sign(signing.canonical, 'an-ca2', 'an'), 'SIG_UNTRUSTED'],
    [certs.sign(signing.canonical, 'expired'), 'SIG_EXPIRED'],
    [certs.sign(signing.canonical, 'an'), 'SIG_NOT_SIGNER'],
    [certs.sign(signing.canonical.replace('tham-dinh', 'tiep-nhan'), 'binh'), 'SIG_INVALID'],
  ] as const) {
    const tried = await call('canbo', 'POST', `/dossiers/${dossier._id}/actions`, { action: 'cap-phep', signature })
    t.equal(tried.body.error?.code, code, code)
    t.equal((await call('canbo', 'GET', `/dossiers/${dossier._id}`)).body.state, 'tham-dinh', `${code}: the state did not change`)
  }
  const granted = await call('canbo', 'POST', `/dossiers/${dossier._id}/actions`, { action: 'cap-phep', signature: certs.sign(signing.canonical, 'binh') })
  t.equal(granted.status, 200, JSON.stringify(granted.body))
  t.match(granted.body, { state: 'da-cap', outcome: 'approved', actions: [] })

  // The citizen sees the result; every signature downloads with the exact bytes signed, and OpenSSL verifies both.
  const done = (await call('dan', 'GET', `/dossiers/${dossier._id}`)).body
  t.same(done.history.map((h: { from: string | null, to: string, by: string }) => [h.from, h.to, h.by]), [[null, 'tiep-nhan', 'dan'], ['tiep-nhan', 'tham-dinh', race.find((r) => r.status === 200) === race[0] ? 'canbo' : 'canbo2'], ['tham-dinh', 'da-cap', 'canbo']])
  const signed = done.history[2].signature
  t.match(signed, { signer: { subject: /Tran Thi Binh/ }, url: /^\/api\/v1\/files\/hn-ba-dinh\// })
  for (const [name, item] of [['step', signed], ['result', done.result]] as const) {
    writeFileSync(join(dir, `${name}.p7s`), Buffer.from(await (await fetch(p.url + item.url)).arrayBuffer()))
    writeFileSync(join(dir, `${name}.json`), Buffer.from(await (await fetch(p.url + item.contentUrl)).arrayBuffer()))
    execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', `${name}.p7s`, '-content', `${name}.json`, '-CAfile', 'ca1.pem', '-purpose', 'any', '-out', '/dev/null'], { cwd: dir, stdio: 'pipe' })
    t.pass(`openssl cms -verify accepts the ${name}'s signature over the downloaded bytes`)
  }
  t.equal(readFileSync(join(dir, 'step.json'), 'utf8'), signing.canonical, 'the bytes kept are the bytes signed')

  // A second dossier waits past its two days (the clock moved on: its timer made due now): it is marked overdue and
  // heads the inbox, apart.
  const second = await call('dan', 'POST', '/dossiers', { procedure: permit.code, data: { ...data, loaiCongTrinh: 'cai-tao' } })
  t.equal(second.status, 201)
  t.match(second.body, { due: /^\d{4}-/, timer: /^[0-9a-f-]{36}$/, overdue: 0 })
  await p.platform.services.db.knex('plugin_timers').where({ timer_id: second.body.timer }).update({ due_at: new Date(Date.now() - 1000).toISOString() })
  await until(async () => (await call('canbo', 'GET', `/dossiers/${second.body._id}`)).body.overdue, (overdue) => overdue === 1, 10_000)
  const late = (await call('canbo', 'GET', '/dossiers')).body
  t.same([late.overdue.map((d: { _id: string }) => d._id), late.items.map((d: { _id: string }) => d._id)], [[second.body._id], []], 'the overdue dossier apart, nothing else waiting')
  const report = await call('canbo', 'POST', '/reports', { procedure: permit.code, groupBy: ['state'], metrics: { soHoSo: { op: 'count' }, tongDuToan: { op: 'sum', field: 'data.duToan' }, quaHan: { op: 'overdueShare' } } })
  t.same(report.body, { columns: ['state', 'soHoSo', 'tongDuToan', 'quaHan'], rows: [{ state: 'da-cap', soHoSo: 1, tongDuToan: 250_000_000, quaHan: 0 }, { state: 'tiep-nhan', soHoSo: 1, tongDuToan: 250_000_000, quaHan: 1 }] })
  t.equal((await call('dan', 'POST', '/reports', {})).status, 403, 'reports are for officers')
  const started = await call('canbo', 'POST', '/reports/export', { procedure: permit.code, format: 'xlsx' })
  t.equal(started.status, 202)
  const exported = await until(async () => (await call('canbo', 'GET', `/exports/${started.body.id}`)).body, (s) => s.state !== 'running', 20_000)
  t.match(exported, { state: 'done', rows: 2 })
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(await (await fetch(p.url + exported.url)).arrayBuffer())
  const sheet = workbook.worksheets[0]!
  const cells = (row: number) => (sheet.getRow(row).values as unknown[]).slice(1)
  t.same(cells(1), ['Mã hồ sơ', 'Thủ tục', 'Người nộp', 'Ngày nộp', 'Trạng thái', 'Quá hạn'])
  t.same([cells(2)[0], cells(3)[0]].sort(), [dossier.receipt, second.body.receipt].sort(), 'both dossiers, by receipt')
  t.equal(cells(2)[2], 'Nguyễn Văn An')

  const audit = (await p.call('GET', '/api/v1/tenants/hn-ba-dinh/audit?limit=100', { token: p.admin })).body.items.map((e: { action: string }) => e.action)
  for (const action of ['plugin:@vn/procedures:procedure.published', 'plugin:@vn/procedures:dossier.nhan', 'plugin:@vn/procedures:dossier.cap-phep']) t.ok(audit.includes(action), action)
})

t.test('a province publishes for its wards, one ward overrides, versions stay pinned, another province sees nothing', async (t) => {
  const p = await units(t)
  const { as } = p
  const at = (unit: string, who: string, method: string, path: string, body?: unknown) => p.call(method, `/t/${unit}${M}${path}`, { token: as[who], ...(body === undefined ? {} : { body }) })
  const birth = {
    code: 'dang-ky-khai-sinh',
    name: { vi: 'Đăng ký khai sinh', en: 'Birth registration' },
    form: { sections: [{ title: { vi: 'Người được khai sinh' }, fields: [{ name: 'hoTen', type: 'text', required: true, label: { vi: 'Họ và tên' } }, { name: 'ngaySinh', type: 'date', required: true, label: { vi: 'Ngày sinh' } }] }] },
    workflow: { initial: 'moi', states: [{ name: 'moi', label: { vi: 'Mới' } }, { name: 'xong', label: { vi: 'Đã đăng ký' }, outcome: 'approved' }], transitions: [{ from: 'moi', action: 'dang-ky', to: 'xong', roles: ['officer'], label: { vi: 'Đăng ký' } }] },
  }
  t.equal((await at('hn', 'qtv', 'POST', '/procedures', birth)).status, 201)
  t.equal((await at('hn', 'qtv', 'POST', `/procedures/${birth.code}/publish`, {})).status, 201)

  // Ba Đình files under the province's procedure.
  t.match((await at('hn-ba-dinh', 'dan', 'GET', '/procedures')).body.items, [{ code: birth.code, unit: 'hn', inherited: true }])
  const baDinh = await at('hn-ba-dinh', 'dan', 'POST', '/dossiers', { procedure: birth.code, data: { hoTen: 'Nguyễn Thị Mai', ngaySinh: '2026-11-30' } })
  t.match(baDinh.body, { procedure: { code: birth.code, version: 1, unit: 'hn' } })

  // Hoàn Kiếm overrides it with its own (an extra field), which its people then file under.
  const own = { ...birth, form: { sections: [{ ...birth.form.sections[0]!, fields: [...birth.form.sections[0]!.fields, { name: 'noiSinh', type: 'unit', required: true, label: { vi: 'Nơi sinh' } }] }] } }
  t.equal((await at('hn-hoan-kiem', 'qtv', 'POST', '/procedures', own)).status, 201)
  t.match((await at('hn-hoan-kiem', 'hk', 'GET', '/procedures')).body.items, [{ code: birth.code, unit: 'hn' }], 'the province\'s serves until the ward publishes its own')
  t.equal((await at('hn-hoan-kiem', 'qtv', 'POST', `/procedures/${birth.code}/publish`, {})).status, 201)
  t.match((await at('hn-hoan-kiem', 'hk', 'GET', '/procedures')).body.items, [{ code: birth.code, unit: 'hn-hoan-kiem', inherited: false }])
  const missing = await at('hn-hoan-kiem', 'hk', 'POST', '/dossiers', { procedure: birth.code, data: { hoTen: 'Trần Văn Nam', ngaySinh: '2026-12-01' } })
  t.match(missing.body.error.fields, [{ field: 'noiSinh', code: 'required' }], "the ward's own form")
  const hoanKiem = await at('hn-hoan-kiem', 'hk', 'POST', '/dossiers', { procedure: birth.code, data: { hoTen: 'Trần Văn Nam', ngaySinh: '2026-12-01', noiSinh: '00070' } })
  t.match(hoanKiem.body, { procedure: { unit: 'hn-hoan-kiem', version: 1 } })

  // The province changes its procedure: version 2; Ba Đình's earlier dossier keeps and shows version 1.
  const changed = { ...birth, form: { sections: [{ ...birth.form.sections[0]!, fields: [...birth.form.sections[0]!.fields, { name: 'gioiTinh', type: 'choice', label: { vi: 'Giới tính' }, options: [{ value: 'nam', label: { vi: 'Nam' } }, { value: 'nu', label: { vi: 'Nữ' } }] }] }] } }
  t.equal((await at('hn', 'qtv', 'PUT', `/procedures/${birth.code}`, changed)).status, 200)
  t.match((await at('hn', 'qtv', 'POST', `/procedures/${birth.code}/publish`, {})).body, { published: 2 })
  const earlier = (await at('hn-ba-dinh', 'dan', 'GET', `/dossiers/${baDinh.body._id}`)).body
  t.equal(earlier.version.version, 1)
  t.same(earlier.version.form.sections[0].fields.map((f: { name: string }) => f.name), ['hoTen', 'ngaySinh'], 'the form it was filed under')
  t.match((await at('hn-ba-dinh', 'dan', 'POST', '/dossiers', { procedure: birth.code, data: { hoTen: 'Lê Thu', ngaySinh: '2026-12-02', gioiTinh: 'nu' } })).body, { procedure: { version: 2 } })
  t.same((await at('hn-ba-dinh', 'dan', 'GET', `/procedures/${birth.code}/versions`)).body.items.map((v: { version: number }) => v.version), [2, 1])
  t.match((await at('hn', 'qtv', 'POST', `/procedures/${birth.code}/publish`, { version: 1 })).body, { published: 1 }, 'an older version republished')
  t.match((await at('hn-ba-dinh', 'dan', 'POST', '/dossiers', { procedure: birth.code, data: { hoTen: 'Lê Thu', ngaySinh: '2026-12-02', gioiTinh: 'nu' } })).body.error, { code: 'PROCEDURES_INVALID_DATA' }, 'version 1 again: no such field')

  // The province reports over its wards, by unit.
  const byUnit = await at('hn', 'tinh', 'POST', '/reports', { procedure: birth.code, scope: 'subtree', groupBy: ['_tenant'] })
  t.same(byUnit.body.rows, [{ _tenant: 'hn-ba-dinh', count: 2 }, { _tenant: 'hn-hoan-kiem', count: 1 }])

  // Hồ Chí Minh City sees none of it: not the procedures, not the dossiers, not the reports.
  t.equal((await at('hn', 'sg', 'GET', '/procedures')).status, 404)
  t.equal((await at('hn-ba-dinh', 'sg', 'GET', `/dossiers/${baDinh.body._id}`)).status, 404)
  t.same((await at('hcm', 'sg', 'GET', '/procedures')).body, { items: [] })
  t.equal((await at('hcm', 'sg', 'GET', `/dossiers/${baDinh.body._id}`)).status, 404)
  t.same((await at('hcm', 'sg', 'POST', '/reports', { scope: 'subtree', groupBy: ['_tenant'] })).body.rows, [])
  t.equal((await at('hcm', 'sg', 'POST', '/dossiers', { procedure: birth.code, data: { hoTen: 'x', ngaySinh: '2026-12-01' } })).status, 404)
})

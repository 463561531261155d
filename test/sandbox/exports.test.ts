import ExcelJS from 'exceljs'
import t from 'tap'
import { whileNeighbourServes } from '../helpers/neighbour.ts'
import { startPluginPlatform, type PluginPlatform } from '../helpers/plugins.ts'
import { until } from '../helpers/wait.ts'

/** Starts an export through the plugin and waits for it to end; gives its last status (with a download link). */
async function exported (p: PluginPlatform, tenant: string, job: unknown, timeoutMs = 60_000): Promise<any> {
  const started = await p.call('POST', `/t/${tenant}/clerk/exports`, { token: p.admin, body: job })
  if (started.status !== 202) return started.body
  return until(async () => (await p.call('GET', `/t/${tenant}/clerk/exports/${started.body.id}`, { token: p.admin })).body, (s) => s.state !== 'running', timeoutMs)
}

/** Writes `count` documents of the clerk's register straight into the table (what months of use would leave). */
async function fill (p: PluginPlatform, tenant: string, count: number): Promise<void> {
  const { db } = p.platform.services
  const row = await db.knex('tenants').where({ code: tenant }).first('id', 'path')
  const now = new Date().toISOString()
  for (let from = 0; from < count; from += 5000) {
    const rows = Array.from({ length: Math.min(5000, count - from) }, (_, k) => {
      const i = from + k
      return { tenant_id: row.id, tenant_path: row.path, plugin: '@hn/clerk', collection: 'register', doc_id: `d${String(i).padStart(12, '0')}`, data: JSON.stringify({ no: i, name: `Nguyễn Văn ${i}`, fee: i }), created_at: now, updated_at: now }
    })
    await db.knex.batchInsert('plugin_documents', rows, 400)
  }
}

t.test('an officer exports the register as CSV and XLSX: Vietnamese intact, filter applied, formulas neutralised', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'clerk', 'clerk')
  t.same((await p.call('POST', '/t/hn/clerk/seed', { token: p.admin, body: { count: 30 } })).body, { seeded: 30 })
  const columns = [{ field: 'no', title: 'Số' }, { field: 'name', title: 'Họ và tên' }, { field: 'commune', title: 'Xã/phường' }, { field: 'fee', title: 'Lệ phí' }, { field: 'note', title: 'Ghi chú' }]
  const csv = await exported(p, 'hn', { collection: 'register', columns, format: 'csv', name: 'Sổ đăng ký', filter: { commune: 'Phường Ba Đình' } })
  t.match(csv, { state: 'done', rows: 15, file: { name: 'Sổ đăng ký.csv', type: 'text/csv', kept: true }, error: null })
  const response = await fetch(p.url + csv.url)
  t.equal(response.status, 200)
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer())
  t.ok(text.startsWith('\ufeffSố,Họ và tên,Xã/phường,Lệ phí,Ghi chú\r\n'), 'a BOM and the titles')
  const lines = text.slice(1).trim().split('\r\n')
  t.equal(lines.length, 16, 'the titles and the 15 rows of Ba Đình')
  t.equal(lines[1], '0,Nguyễn Văn 0,Phường Ba Đình,0,"\'=HYPERLINK(""http://evil"")"', 'a formula is text, quoted')
  t.equal(lines[2], '2,Nguyễn Văn 2,Phường Ba Đình,2000,"ghi chú, ""số"" 2"')

  const xlsx = await exported(p, 'hn', { collection: 'register', columns, format: 'xlsx', filter: { fee: { $gte: 25000 } } })
  t.match(xlsx, { state: 'done', rows: 5, file: { name: 'register.xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } })
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(await (await fetch(p.url + xlsx.url)).arrayBuffer())
  const sheet = workbook.worksheets[0]!
  t.equal(sheet.rowCount, 6)
  t.same((sheet.getRow(1).values as unknown[]).slice(1), ['Số', 'Họ và tên', 'Xã/phường', 'Lệ phí', 'Ghi chú'])
  t.same((sheet.getRow(2).values as unknown[]).slice(1, 5), [25, 'Nguyễn Văn 25', 'Xã Đông Anh', 25000], 'numbers stay numbers')

  const bad = async (job: unknown): Promise<any> => (await p.call('POST', '/t/hn/clerk/exports', { token: p.admin, body: job })).body
  t.match(await bad({ collection: 'register', columns: ['name'], format: 'pdf' }), { error: 'InvalidArgument', message: /csv/ })
  t.match(await bad({ collection: 'register', columns: [], format: 'csv' }), { error: 'InvalidArgument', message: /columns/ })
  t.match(await bad({ collection: 'register', columns: ["name'); drop table x; --"], format: 'csv' }), { error: 'InvalidArgument' })
  t.match(await bad({ collection: 'register', columns: ['name'], format: 'csv', filter: { name: { $regex: '.*' } } }), { error: 'InvalidArgument', message: /operator/ })
  t.match(await bad({ collection: 'register', columns: ['name'], format: 'csv', scope: 'subtree' }), { error: 'PermissionDenied', message: /storage.read/ })
  t.equal((await p.call('GET', '/t/hn/clerk/exports/00000000-0000-4000-8000-000000000000', { token: p.admin })).status, 404)
})

t.test('200,000 rows export while a neighbour tenant is served; another tenant cannot read the job', async (t) => {
  const p = await startPluginPlatform(t)
  await p.install('hn', 'clerk', 'clerk')
  await p.install('hcm', 'clerk', 'clerk')
  await fill(p, 'hn', 200_000)
  const { statuses, result } = await whileNeighbourServes(p, () => exported(p, 'hn', { collection: 'register', columns: ['no', 'name', 'fee'], format: 'csv' }, 120_000))
  t.match(result, { state: 'done', rows: 200_000 })
  t.ok(statuses.length > 5 && statuses.every((s) => s === 200), `the neighbour was served throughout (${statuses.length} requests)`)
  const text = await (await fetch(p.url + result.url)).text()
  const lines = text.trim().split('\r\n')
  t.equal(lines.length, 200_001)
  t.equal(lines[200_000], '199999,Nguyễn Văn 199999,199999')
  t.equal((await p.call('GET', `/t/hcm/clerk/exports/${result.id}`, { token: p.admin })).status, 404, "hcm's clerk does not see hn's export")
})

import { readFileSync } from 'node:fs'
import t from 'tap'
import { findTenant } from '../../core/tenancy/tenants.ts'
import { units } from '../helpers/procedures.ts'

// A report over a fixed set of dossiers (test/fixtures/procedures/report-dossiers.json: 24 of them in two wards of
// Hà Nội) matches its expected tables exactly (report-expected.json): by state at a ward with sums and the overdue
// share, by ward and month over the province, and by a form field for applicants whose name has "nguyen" in it,
// which finds "Nguyễn".

interface Fixture {
  unit: string, receipt: string, applicant: string, state: string, overdue: number, filedAt: string, filedMonth: string, loai: string, duToan: number
}
interface Expected { at: string, who: string, report: Record<string, unknown>, columns: string[], rows: Array<Record<string, unknown>> }
const fixtures = new URL('../fixtures/procedures/', import.meta.url).pathname
const dossiers = JSON.parse(readFileSync(`${fixtures}report-dossiers.json`, 'utf8')) as Fixture[]
const expected = JSON.parse(readFileSync(`${fixtures}report-expected.json`, 'utf8')) as Expected[]

t.test('reports over a fixed data set match their expected tables exactly', async (t) => {
  const p = await units(t)
  const { db } = p.platform.services
  const now = new Date().toISOString()
  let n = 0
  for (const dossier of dossiers) {
    const tenant = (await findTenant(db, dossier.unit))!
    const data = {
      receipt: dossier.receipt,
      procedure: { code: 'cap-phep-sua-nha', version: 1, unit: dossier.unit, name: { vi: 'Cấp phép sửa chữa nhà ở' } },
      data: { loaiCongTrinh: dossier.loai, duToan: dossier.duToan },
      status: 'filed',
      state: dossier.state,
      applicant: { username: `u${n}`, name: dossier.applicant },
      filedAt: dossier.filedAt,
      filedMonth: dossier.filedMonth,
      overdue: dossier.overdue,
      revision: 0,
    }
    await db.knex('plugin_documents').insert({ tenant_id: tenant.id, tenant_path: tenant.path, plugin: '@vn/procedures', collection: 'dossiers', doc_id: `fixture${String(n++).padStart(6, '0')}`, data: JSON.stringify(data), created_at: now, updated_at: now })
  }
  for (const { at, who, report, columns, rows } of expected) {
    const answer = await p.call('POST', `/t/${at}/procedures/reports`, { token: p.as[who], body: report })
    t.equal(answer.status, 200, JSON.stringify(answer.body))
    t.same(answer.body, { columns, rows }, `${at}: ${JSON.stringify(report)}`)
  }
})

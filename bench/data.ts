/**
 * Data figures for `npm run bench` (its own process, once per database: `node bench/data.ts sqlite|postgres`), on a
 * register of 100,000 documents at one unit: the storage route against bare Koa (alternating slices), an indexed
 * inbox query, a grouped count and sum, a 100,000-row CSV export, and a neighbour tenant's p99 idle and while
 * reports run. Prints one JSON line.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { defaults } from '../core/config.ts'
import { findTenant } from '../core/tenancy/tenants.ts'
import { startPlatform, type Platform } from '../platform/start.ts'
import { createDeclaredIndexes } from '../registry/indexes.ts'
import { installFromFolder } from '../registry/local-install.ts'
import { parseManifest } from '../registry/manifest.ts'
import { load } from './load.ts'
import { startProcess, type Started } from './processes.ts'

const dialect = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite'
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
const DOCUMENTS = 100_000
const root = new URL('../', import.meta.url).pathname
const adminUrl = process.env.NENTANG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!
const percentile = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!

const dir = mkdtempSync(join(tmpdir(), 'nentang-bench-data-'))
let databaseUrl = `sqlite:${dir}/nentang.db`
let admin: pg.Client | undefined
let database: string | undefined
if (dialect === 'postgres') {
  admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
  try {
    await admin.connect()
  } catch (error) {
    console.log('BENCH_DATA ' + JSON.stringify({ skipped: `PostgreSQL not reachable at ${adminUrl}: ${(error as Error).message}` }))
    process.exit(0)
  }
  database = `nentang_bench_${randomBytes(4).toString('hex')}`
  await admin.query(`create database ${database}`)
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  databaseUrl = url.toString()
}
let platform: Platform | undefined
const others: Started[] = []
try {
  platform = await startPlatform({
    ...defaults,
    // Benchmarks measure throughput: their administrators sign in with a password alone.
    mfaRoles: [],
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    dataDir: dir,
    adminPassword: 'bench-admin-password',
    secretKey: randomBytes(32).toString('hex'),
    workers: 2,
    logLevel: 'warn',
    sandboxQuotaDocuments: 100_000_000,
  })
  const { db } = platform.services
  const { table, supervisor } = platform.services.plugins
  const signIn = await fetch(`${platform.url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'bench-admin-password' }) })
  const { token } = await signIn.json() as { token: string }
  for (const code of ['hn', 'hcm']) {
    await fetch(`${platform.url}/api/v1/tenants/vn/children`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ code, name: code }) })
  }
  const hn = (await findTenant(db, 'hn'))!
  const hcm = (await findTenant(db, 'hcm'))!
  const folder = `${root}bench/plugins/register`
  installFromFolder(table, supervisor, { tenant: hn, mount: 'register', folder })
  installFromFolder(table, supervisor, { tenant: hn, mount: 'rw', folder: `${root}bench/plugins/storage-rw` })
  // The neighbour: another tenant's warm plugin, on the other tenant worker if there is one.
  let neighbour = 'hello'
  installFromFolder(table, supervisor, { tenant: hcm, mount: neighbour, folder: `${root}examples/hello` })
  const workerOf = (tenant: string, mount: string): number | undefined => supervisor.workerIndex('tenant', table.get(tenant, mount)!.spec.key)
  for (let i = 2; workerOf('hcm', neighbour) === workerOf('hn', 'register') && i < 20; i++) {
    neighbour = `hello-${i}`
    installFromFolder(table, supervisor, { tenant: hcm, mount: neighbour, folder: `${root}examples/hello` })
  }
  await createDeclaredIndexes(db, parseManifest(JSON.parse(readFileSync(`${folder}/plugin.json`, 'utf8'))), platform.services.logger)

  // The register: 100,000 dossiers, one in ten still waiting.
  const states = ['approved', 'approved', 'approved', 'approved', 'rejected', 'approved', 'approved', 'approved', 'approved', 'submitted']
  const now = new Date().toISOString()
  for (let from = 0; from < DOCUMENTS; from += 4000) {
    const rows = Array.from({ length: 4000 }, (_, k) => {
      const i = from + k
      return { tenant_id: hn.id, tenant_path: hn.path, plugin: '@hn/register', collection: 'dossiers', doc_id: `b${String(i).padStart(12, '0')}`, data: JSON.stringify({ no: i, name: `Nguyễn Văn ${i}`, state: states[i % 10], fee: i % 500 }), created_at: now, updated_at: now }
    })
    await db.knex.batchInsert('plugin_documents', rows, 400)
  }
  await db.knex.raw('analyze plugin_documents')
  const url = platform.url
  const timed = async (path: string, init?: RequestInit): Promise<number> => {
    const started = performance.now()
    const response = await fetch(url + path, init)
    await response.arrayBuffer()
    if (!response.ok) throw new Error(`${path}: ${response.status}`)
    return performance.now() - started
  }

  for (let i = 0; i < 20; i++) await timed('/t/hn/register/inbox')
  const inbox: number[] = []
  for (let i = 0; i < 200; i++) inbox.push(await timed('/t/hn/register/inbox'))
  await timed('/t/hn/register/report')
  const report: number[] = []
  for (let i = 0; i < 5; i++) report.push(await timed('/t/hn/register/report'))
  const exported: number[] = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    const { id } = await (await fetch(`${url}/t/hn/register/exports`, { method: 'POST' })).json() as { id: string }
    for (;;) {
      const status = await (await fetch(`${url}/t/hn/register/exports/${id}`)).json() as { state: string, rows: number }
      if (status.state === 'failed') throw new Error('the export failed')
      if (status.state === 'done') {
        if (status.rows !== DOCUMENTS) throw new Error(`the export wrote ${status.rows} rows`)
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    exported.push(performance.now() - started)
  }

  // A neighbour's p99, idle, then while reports run one after another.
  const slice = Math.max(2, Math.round(seconds / 3))
  const neighbourUrl = `${url}/t/hcm/${neighbour}/hello`
  await load(neighbourUrl, { seconds: 1, connections: 8 })
  const idle = await load(neighbourUrl, { seconds: slice, connections: 8 })
  const reporting = { on: true, runs: 0 }
  const reporter = (async () => {
    while (reporting.on) {
      await timed('/t/hn/register/report')
      reporting.runs++
    }
  })()
  const busy = await load(neighbourUrl, { seconds: slice, connections: 8 })
  reporting.on = false
  await reporter

  // The storage route (one write, one read) against bare Koa, alternating slices.
  const bare = await startProcess([join(root, 'bench/bare-koa.ts')], {}, (text) => Number(/"port":(\d+)/.exec(text)?.[1]) || undefined)
  others.push(bare)
  await load(`${url}/t/hn/rw/rw`, { seconds: 1, connections })
  const ratios: number[] = []
  for (let i = 0; i < 3; i++) {
    const base = await load(`${bare.url}/`, { seconds: slice, connections })
    const target = await load(`${url}/t/hn/rw/rw`, { seconds: slice, connections })
    ratios.push(target.requestsPerSecond / base.requestsPerSecond)
  }
  // Procedures (@vn/procedures, installed at vn at first start): 100,000 dossiers filed at Hà Nội, one in ten waiting
  // for an officer, some of them overdue; an officer's inbox page, a grouped report, and filing against bare Koa.
  const procedures = `${url}/t/hn/procedures`
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const permit = JSON.parse(readFileSync(`${root}bench/procedure.json`, 'utf8')) as { code: string }
  for (const path of ['/procedures', `/procedures/${permit.code}/publish`]) {
    const made = await fetch(procedures + path, { method: 'POST', headers: auth, body: JSON.stringify(path === '/procedures' ? permit : {}) })
    if (made.status !== 201) throw new Error(`${path}: ${made.status} ${await made.text()}`)
  }
  const names = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Văn Cường', 'Phạm Thị Dung', 'Hoàng Văn Em']
  const dossierStates = ['da-cap', 'da-cap', 'da-cap', 'da-cap', 'tu-choi', 'da-cap', 'da-cap', 'da-cap', 'da-cap', 'tiep-nhan']
  for (let from = 0; from < DOCUMENTS; from += 4000) {
    const rows = Array.from({ length: 4000 }, (_, k) => {
      const i = from + k
      const state = dossierStates[i % 10]!
      const month = `2026-${String(1 + (i % 12)).padStart(2, '0')}`
      const data = {
        receipt: `HN-2026-${String(i).padStart(6, '0')}`,
        procedure: { code: permit.code, version: 1, unit: 'hn' },
        data: { ngayKhoiCong: `${month}-15`, loaiCongTrinh: i % 2 === 0 ? 'sua-chua' : 'cai-tao', duToan: 1_000_000 * (i % 500), diaBan: '00004' },
        status: 'filed',
        state,
        waiting: state === 'tiep-nhan' ? 'officer' : null,
        applicant: { username: `citizen${i % 5000}`, name: `${names[i % 5]} ${i}` },
        filedAt: `${month}-15T08:00:00.000Z`,
        filedMonth: month,
        overdue: i % 1000 === 9 ? 1 : 0,
        revision: 0,
      }
      return { tenant_id: hn.id, tenant_path: hn.path, plugin: '@vn/procedures', collection: 'dossiers', doc_id: `p${String(i).padStart(12, '0')}`, data: JSON.stringify(data), created_at: now, updated_at: now }
    })
    await db.knex.batchInsert('plugin_documents', rows, 400)
  }
  await db.knex.raw('analyze plugin_documents')
  // The inbox of an officer of the unit (an administrator's, where nothing waits for that role, is not this figure).
  const made = await fetch(`${url}/api/v1/tenants/hn/users`, { method: 'POST', headers: auth, body: JSON.stringify({ username: 'bench-officer', password: 'bench-officer-password', roles: ['officer'] }) })
  if (made.status !== 201) throw new Error(`officer: ${made.status}`)
  const officer = await (await fetch(`${url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-officer', password: 'bench-officer-password' }) })).json() as { token: string }
  const withToken = { headers: { authorization: `Bearer ${officer.token}` } }
  for (let i = 0; i < 20; i++) await timed('/t/hn/procedures/dossiers', withToken)
  const officerInbox: number[] = []
  for (let i = 0; i < 200; i++) officerInbox.push(await timed('/t/hn/procedures/dossiers', withToken))
  const reportBody = JSON.stringify({ procedure: permit.code, groupBy: ['state'], metrics: { n: { op: 'count' }, total: { op: 'sum', field: 'data.duToan' } } })
  const procedureReport: number[] = []
  for (let i = 0; i < 6; i++) procedureReport.push(await timed('/t/hn/procedures/reports', { method: 'POST', headers: auth, body: reportBody }))
  procedureReport.shift()
  // Filing: the form checked, the dossier and its history written, its deadline timer set; against bare Koa.
  const filing = JSON.stringify({ procedure: permit.code, data: { ngayKhoiCong: '2026-12-15', loaiCongTrinh: 'sua-chua', duToan: 250_000_000, diaBan: '00004' } })
  const fileLoad = (seconds: number) => load(`${procedures}/dossiers`, { seconds, connections, method: 'POST', body: filing, headers: auth })
  await fileLoad(1)
  const filingRatios: number[] = []
  let filingErrors = 0
  for (let i = 0; i < 3; i++) {
    const base = await load(`${bare.url}/`, { seconds: slice, connections })
    const target = await fileLoad(slice)
    filingErrors += target.errors + target.non2xx
    filingRatios.push(target.requestsPerSecond / base.requestsPerSecond)
  }

  console.log('BENCH_DATA ' + JSON.stringify({
    dialect,
    documents: DOCUMENTS,
    inbox: { p50: percentile(inbox, 0.5), p99: percentile(inbox, 0.99) },
    report: { median: median(report), runs: report },
    export: { median: median(exported), runs: exported },
    neighbour: {
      idleP99: idle.p99,
      busyP99: busy.p99,
      ratio: busy.p99 / Math.max(idle.p99, 0.001),
      reports: reporting.runs,
      errors: idle.errors + idle.non2xx + busy.errors + busy.non2xx,
    },
    storage: { ratio: median(ratios), ratios },
    procedures: {
      inbox: { p50: percentile(officerInbox, 0.5), p99: percentile(officerInbox, 0.99) },
      report: { median: median(procedureReport), runs: procedureReport },
      filing: { ratio: median(filingRatios), ratios: filingRatios, errors: filingErrors },
    },
  }))
} finally {
  await platform?.close()
  for (const other of others) await other.stop()
  if (admin !== undefined) {
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  }
  rmSync(dir, { recursive: true, force: true })
}

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

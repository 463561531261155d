/**
 * The cluster figures for `npm run bench` (PostgreSQL): `nentang demo --national` (34 provinces, 3,321 communes), then
 * three nodes behind nginx running deploy/nginx/nentang.conf; the first request of an inherited plugin (the procedures
 * every unit inherits from `vn`) in every commune, through nginx, with the CPU each kind of process spent on it; and
 * the throughput through nginx to three nodes as a ratio of one node reached directly. Prints a `BENCH_DATA {…}` line.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { workerRoleName } from '../core/db/worker-role.ts'
import { startNginx } from '../test/helpers/nginx.ts'
import { load, type LoadResult } from './load.ts'
import { cpuSnapshot, cpuSpent } from './process-cpu.ts'
import { startProcess, type Started } from './processes.ts'

const adminUrl = process.env.NENTANG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const root = new URL('../', import.meta.url).pathname
const cli = join(root, 'cli/nentang.ts')
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)

const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
try {
  await admin.connect()
} catch (error) {
  console.log('BENCH_DATA ' + JSON.stringify({ skipped: `PostgreSQL not reachable at ${adminUrl}: ${(error as Error).message}` }))
  process.exit(0)
}
const database = `nentang_bench_${randomBytes(4).toString('hex')}`
await admin.query(`create database ${database}`)
const dir = mkdtempSync(join(tmpdir(), 'nentang-bench-cluster-'))
const teardowns: Array<() => unknown> = []
const nodes: Started[] = []
try {
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  const env = {
    NENTANG_DATABASE_URL: url.toString(),
    NENTANG_DATA_DIR: dir,
    NENTANG_SECRET_KEY: randomBytes(32).toString('hex'),
    NENTANG_ADMIN_PASSWORD: 'bench-admin-password',
    NENTANG_TRUST_PROXY: 'true',
    NENTANG_MFA_ROLES: '',
    NENTANG_LOG_LEVEL: 'warn',
    NENTANG_WORKERS: '1',
  }
  const demoStarted = performance.now()
  const demo = spawnSync(process.execPath, ['--no-node-snapshot', cli, 'demo', '--national'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 600_000 })
  const demoMs = performance.now() - demoStarted
  if (demo.status !== 0) throw new Error(`nentang demo --national failed: ${demo.stderr.slice(-1000)}`)
  const { rows } = await admin.query(`select count(*)::int as n from ${database}.public.tenants`).catch(async () => {
    const client = new pg.Client({ connectionString: url.toString() })
    await client.connect()
    try { return await client.query('select count(*)::int as n from tenants') } finally { await client.end() }
  })
  const tenants = Number(rows[0].n)
  const unitsClient = new pg.Client({ connectionString: url.toString() })
  await unitsClient.connect()
  // Communes: the units three levels down (vn / province / commune).
  const communes = (await unitsClient.query("select code from tenants where path like '%/%/%' and path not like '%/%/%/%' order by code")).rows.map((row) => String(row.code))
  await unitsClient.end()

  const start = (): Promise<Started> => startProcess([cli, 'start', '--port', '0', '--host', '127.0.0.1'], env,
    (text) => Number(/listening on http:\/\/localhost:(\d+)/.exec(text)?.[1]) || undefined, { discardStdout: true })
  nodes.push(await start())
  nodes.push(...await Promise.all([start(), start()]))
  const nginx = await startNginx({ teardown: (fn) => { teardowns.push(fn) } }, nodes.map((node) => new URL(node.url).host))

  const signIn = await fetch(`${nginx.url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: env.NENTANG_ADMIN_PASSWORD }) })
  const headers = { authorization: `Bearer ${(await signIn.json() as { token: string }).token}` }

  // Every commune's first request of the plugin it inherits, 32 at a time through nginx.
  const cpuBefore = cpuSnapshot()
  const firstStarted = performance.now()
  let next = 0
  let errors = 0
  const latencies: number[] = []
  await Promise.all(Array.from({ length: connections }, async () => {
    for (let i = next++; i < communes.length; i = next++) {
      const sent = performance.now()
      try {
        const response = await fetch(`${nginx.url}/t/${communes[i]}/procedures/procedures`, { headers })
        if (response.status === 200) await response.arrayBuffer()
        if (response.status !== 200 && errors++ === 0) process.stderr.write(`first failure: ${response.status} ${await response.text().catch(() => '')}\n`)
      } catch {
        errors++
      }
      latencies.push(performance.now() - sent)
    }
  }))
  const firstMs = performance.now() - firstStarted
  const cpu = cpuSpent(cpuBefore, cpuSnapshot())
  // What the first-party workers of the three nodes hold now, every commune's installation loaded (from /metrics).
  let firstPartyRss = 0
  let firstPartyIsolates = 0
  for (const node of nodes) {
    const text = await (await fetch(`${node.url}/metrics`)).text()
    firstPartyRss += Number(/^nentang_sandbox_worker_resident_memory_bytes\{tier="first-party"\} (\d+)/m.exec(text)?.[1] ?? 0)
    firstPartyIsolates += Number(/^nentang_sandbox_isolates\{tier="first-party"\} (\d+)/m.exec(text)?.[1] ?? 0)
  }
  latencies.sort((a, b) => a - b)

  // Throughput: one commune's warm plugin route, through nginx to three nodes against one node directly, in five
  // alternating pairs of slices (the median pair's ratio).
  const path = `/t/${communes[0]}/procedures/procedures`
  const ratios: number[] = []
  const pairs: Array<{ direct: LoadResult, balanced: LoadResult }> = []
  await load(`${nginx.url}${path}`, { seconds: 2, connections, headers })
  for (let i = 0; i < 5; i++) {
    const direct = await load(`${nodes[0]!.url}${path}`, { seconds: 2, connections, headers })
    const balanced = await load(`${nginx.url}${path}`, { seconds: 2, connections, headers })
    pairs.push({ direct, balanced })
    ratios.push(balanced.requestsPerSecond / direct.requestsPerSecond)
  }
  const median = [...ratios].sort((a, b) => a - b)[2]!
  console.log('BENCH_DATA ' + JSON.stringify({
    tenants,
    demoMs,
    communes: communes.length,
    first: { ms: firstMs, errors, p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.floor(latencies.length * 0.99)], cpu },
    memory: { firstPartyRss, firstPartyIsolates },
    balanced: {
      ratio: median,
      ratios,
      direct: pairs.map((p) => p.direct.requestsPerSecond),
      through: pairs.map((p) => p.balanced.requestsPerSecond),
      errors: pairs.reduce((n, p) => n + p.balanced.errors + p.balanced.non2xx + p.direct.errors + p.direct.non2xx, 0),
    },
  }))
} finally {
  await Promise.all(nodes.map((node) => node.stop()))
  for (const teardown of teardowns) await teardown()
  await admin.query(`drop database if exists ${database} with (force)`)
  // The platform made a login role for this database's sandbox workers; roles outlive databases.
  await admin.query(`drop role if exists ${workerRoleName(`postgres://x/${database}`)}`)
  await admin.end()
  rmSync(dir, { recursive: true, force: true })
}

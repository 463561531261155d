/**
 * Registry figures for `npm run bench` (run as its own process by bench/run.ts): with two gateway
 * nodes (node B in a process of its own) on a fresh PostgreSQL database, the time from approve + PUT on node A to
 * the new version's
 * first response on node B; and node A's throughput on a plugin route while its version is switched
 * every 100 ms, against the same route steady (alternating slices, the median ratio). Prints one JSON line.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import pg from 'pg'
import tarStream from 'tar-stream'
import { defaults } from '../core/config.ts'
import { startPlatform, type Platform } from '../platform/start.ts'
import { load } from './load.ts'
import { startProcess, type Started } from './processes.ts'

const adminUrl = process.env.NENTANG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const root = new URL('../', import.meta.url).pathname

async function pack (version: string): Promise<Buffer> {
  const manifest = { ...JSON.parse(readFileSync(`${root}examples/hello/plugin.json`, 'utf8')), version }
  const source = readFileSync(`${root}examples/hello/index.js`, 'utf8').replace('return { message:', `return { version: '${version}', message:`)
  const tar = tarStream.pack()
  const chunks: Buffer[] = []
  tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer))
  const done = new Promise<void>((resolve) => tar.on('end', () => resolve()))
  tar.entry({ name: 'plugin.json' }, JSON.stringify(manifest))
  tar.entry({ name: 'index.js' }, source)
  tar.finalize()
  await done
  return gzipSync(Buffer.concat(chunks))
}

const percentile = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!

const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
try {
  await admin.connect()
} catch (error) {
  console.log(JSON.stringify({ skipped: `PostgreSQL not reachable at ${adminUrl}: ${(error as Error).message}` }))
  process.exit(0)
}
const database = `nentang_bench_${randomBytes(4).toString('hex')}`
await admin.query(`create database ${database}`)
const dir = mkdtempSync(join(tmpdir(), 'nentang-bench-swap-'))
const nodes: Platform[] = []
const others: Started[] = []
try {
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  const config = { ...defaults, mfaRoles: [], port: 0, host: '127.0.0.1', databaseUrl: url.toString(), dataDir: dir, adminPassword: 'bench-admin-password', secretKey: randomBytes(32).toString('hex'), logLevel: 'warn' as const }
  const a = await startPlatform(config)
  nodes.push(a)
  // Node B runs in a process of its own, as it would on another machine.
  const b = await startProcess([join(root, 'bench/node-process.ts')], { NENTANG_BENCH_CONFIG: JSON.stringify(config) }, (text) => Number(/"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(text)?.[1]) || undefined)
  others.push(b)
  const json = async (node: { url: string }, method: string, path: string, token: string | undefined, body?: unknown, raw?: Buffer) => {
    const headers: Record<string, string> = {}
    if (token !== undefined) headers.authorization = `Bearer ${token}`
    if (raw !== undefined) headers['content-type'] = 'application/gzip'
    else if (body !== undefined) headers['content-type'] = 'application/json'
    const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body))
    const response = await fetch(node.url + path, payload === undefined ? { method, headers } : { method, headers, body: payload })
    return { status: response.status, body: await response.json().catch(() => null) as any }
  }
  const token = (await json(a, 'POST', '/api/v1/auth/token', undefined, { username: 'admin', password: 'bench-admin-password' })).body.token as string
  await json(a, 'POST', '/api/v1/tenants/vn/children', token, { code: 'hn', name: 'Hà Nội' })
  await json(a, 'POST', '/api/v1/tenants/hn/users', token, { username: 'hn-dev', password: 'hn-dev-password', roles: ['developer'] })
  const dev = (await json(a, 'POST', '/api/v1/auth/token', undefined, { username: 'hn-dev', password: 'hn-dev-password' })).body.token as string
  const rounds = 20
  const versions = Array.from({ length: rounds + 2 }, (_, i) => `1.${i}.0`)
  for (const version of versions) await json(a, 'POST', '/api/v1/registry/packages', dev, undefined, await pack(version))
  for (const version of versions.slice(0, 2)) await json(a, 'POST', `/api/v1/registry/packages/hn/hello/versions/${version}/approve`, token, {})
  await json(a, 'PUT', '/api/v1/tenants/hn/plugins/hello', token, { package: '@hn/hello', version: versions[0] })
  await fetch(`${b.url}/t/hn/hello/hello`)

  // Propagation: approve + PUT on A, first response of the new version on B.
  const propagation: number[] = []
  for (const version of versions.slice(2)) {
    const started = performance.now()
    await json(a, 'POST', `/api/v1/registry/packages/hn/hello/versions/${version}/approve`, token, {})
    await json(a, 'PUT', '/api/v1/tenants/hn/plugins/hello', token, { package: '@hn/hello', version })
    for (;;) {
      const answer = await (await fetch(`${b.url}/t/hn/hello/hello`)).json() as { version: string }
      if (answer.version === version) break
      if (performance.now() - started > 10_000) throw new Error(`B never served ${version}`)
    }
    propagation.push(performance.now() - started)
  }

  // Throughput on A while switching every 100 ms, against steady. Node B stops first: on this one
  // machine its rebuilds would take CPU from node A, which a second machine would not.
  await b.stop()
  others.length = 0
  const route = `${a.url}/t/hn/hello/hello`
  await load(route, { seconds: 2, connections: 32 })
  // Steady and switching alternate in short slices, so a slow spell of this shared machine falls on
  // both sides; the ratio reported is the median of the slices' ratios.
  // Eight pairs of shorter slices rather than four: single slices swing from 73% to 130% here.
  const slices = 8
  const slice = Math.max(2, Math.round(seconds / 4))
  const ratios: number[] = []
  const steadyRates: number[] = []
  const duringRates: number[] = []
  let switches = 0
  let errors = 0
  for (let round = 0; round < slices; round++) {
    const steady = await load(route, { seconds: slice, connections: 32 })
    const live = { switching: true }
    const switcher = (async () => {
      while (live.switching) {
        await json(a, 'PUT', '/api/v1/tenants/hn/plugins/hello', token, { package: '@hn/hello', version: versions[switches % 2 === 0 ? 1 : 0] })
        switches++
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    })()
    const during = await load(route, { seconds: slice, connections: 32 })
    live.switching = false
    await switcher
    errors += during.errors + during.non2xx
    steadyRates.push(steady.requestsPerSecond)
    duringRates.push(during.requestsPerSecond)
    ratios.push(during.requestsPerSecond / steady.requestsPerSecond)
  }
  const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length
  const sorted = [...ratios].sort((x, y) => x - y)
  const median = (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2
  console.log(JSON.stringify({
    propagation: { p50: percentile(propagation, 0.5), p99: percentile(propagation, 0.99), rounds: propagation.length },
    swaps: { steady: mean(steadyRates), during: mean(duringRates), ratio: median, ratios, switches, errors },
  }))
} finally {
  for (const node of nodes) await node.close()
  for (const other of others) await other.stop()
  await admin.query(`drop database if exists ${database} with (force)`)
  await admin.end()
  rmSync(dir, { recursive: true, force: true })
}

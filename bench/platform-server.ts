/**
 * The platform under bench, in its own process: starts a node on a temporary SQLite database,
 * installs the bench plugins, measures the cold first request and the memory of idle isolates
 * (both need the node's internals), then prints one JSON line for bench/run.ts and serves.
 */
import { startPlatform } from '../platform/start.ts'
import { benchConfig } from './bench-config.ts'
import { findTenant } from '../core/tenancy/tenants.ts'
import { installFromFolder } from '../registry/local-install.ts'

const dir = process.argv[2]!
const isolates = Number(process.env.BENCH_ISOLATES ?? 1000)
const root = new URL('../', import.meta.url).pathname
const platform = await startPlatform(benchConfig(dir, {
  logLevel: 'info',
  // The storage target writes tens of thousands of documents at one unit: the quota is not what it measures.
  sandboxQuotaDocuments: 100_000_000,
}))
const { table, supervisor } = platform.services.plugins
const get = (path: string, token?: string) => fetch(platform.url + path, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
const signIn = await fetch(`${platform.url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'bench-admin-password' }) })
const { token } = await signIn.json() as { token: string }
await fetch(`${platform.url}/api/v1/tenants/vn/children`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ code: 'hn', name: 'Hà Nội' }) })
const hn = (await findTenant(platform.services.db, 'hn'))!
installFromFolder(table, supervisor, { tenant: hn, mount: 'hello', folder: `${root}examples/hello` })
installFromFolder(table, supervisor, { tenant: hn, mount: 'rw', folder: `${root}bench/plugins/storage-rw` })
await get('/t/hn/hello/hello')
await get('/t/hn/rw/rw')

// Every tenant worker started (each starts on its first request): the cold figures below are of
// isolates, not of worker processes (a worker's start, ~0.6 s, showed as the p99).
for (let i = 0; supervisor.pids('tenant').length < platform.services.config.workers && i < 50; i++) {
  installFromFolder(table, supervisor, { tenant: hn, mount: `start-${i}`, folder: `${root}examples/hello` })
  await (await get(`/t/hn/start-${i}/hello`)).arrayBuffer()
}

// Cold first requests: a new installation each time, so each request creates its isolate.
const cold: number[] = []
for (let i = 0; i < 100; i++) {
  installFromFolder(table, supervisor, { tenant: hn, mount: `cold-${i}`, folder: `${root}examples/hello` })
  const started = performance.now()
  const response = await get(`/t/hn/cold-${i}/hello`)
  await response.arrayBuffer()
  cold.push(performance.now() - started)
}
for (let i = 0; i < 100; i++) supervisor.forget(table.get('hn', `cold-${i}`)!.spec.key)
const warm: number[] = []
for (let i = 0; i < 100; i++) {
  const started = performance.now()
  await (await get('/t/hn/hello/hello')).arrayBuffer()
  warm.push(performance.now() - started)
}

// Idle isolates: RSS of the tenant workers before and after warming `isolates` installations.
await new Promise((resolve) => setTimeout(resolve, 500))
const rss = async () => (await supervisor.stats()).filter((s) => s.tier === 'tenant').reduce((sum, s) => sum + s.rss, 0)
const before = await rss()
for (let i = 0; i < isolates; i++) {
  installFromFolder(table, supervisor, { tenant: hn, mount: `idle-${i}`, folder: `${root}examples/hello` })
  await (await get(`/t/hn/idle-${i}/hello`)).arrayBuffer()
}
await new Promise((resolve) => setTimeout(resolve, 500))
const after = await rss()
const held = (await supervisor.stats()).filter((s) => s.tier === 'tenant').reduce((sum, s) => sum + s.isolates, 0)

const percentile = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!
process.stderr.write('BENCH_REPORT ' + JSON.stringify({
  port: Number(new URL(platform.url).port),
  token,
  cold: { p50: percentile(cold, 0.5), p99: percentile(cold, 0.99) },
  warmSequential: { p50: percentile(warm, 0.5) },
  memory: { isolates, held, before, after, perIsolate: (after - before) / isolates },
}) + '\n')
process.on('SIGTERM', () => { platform.close().then(() => process.exit(0)) })

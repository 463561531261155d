/**
 * `npm run bench`: throughput and latency of the platform against a bare Koa hello-world measured
 * in the same run, printed as ratios (these machines are shared, so only ratios mean anything).
 * Load comes from a separate autocannon process on 127.0.0.1, bounded in time.
 * BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 32) tune it; BENCH_ONLY=gateway runs the first table only.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { load, type LoadResult } from './load.ts'
import { startProcess, type Started } from './processes.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
const root = new URL('../', import.meta.url).pathname
/** BENCH_ONLY=gateway: the gateway's fixed cost alone (healthz, /me, plugin routes), no registry or data runs. */
const gatewayOnly = process.env.BENCH_ONLY === 'gateway'

function merge (results: LoadResult[]): LoadResult {
  const mean = (pick: (r: LoadResult) => number): number => results.reduce((sum, r) => sum + pick(r), 0) / results.length
  return {
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    p50: mean((r) => r.p50),
    p99: mean((r) => r.p99),
    errors: results.reduce((n, r) => n + r.errors, 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
  }
}

interface Paired {
  target: LoadResult
  baseline: LoadResult
  /** Target over baseline in each pair of slices: throughput, and p99 latency. */
  ratios: number[]
  p99Ratios: number[]
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * A target and the bare Koa baseline, measured in five alternating pairs of short slices
 * (baseline, target, baseline, target, …): each pair's ratio compares the two under the same
 * spell of this shared machine, whose speed swings by a third from one slice to the next
 * (measured), and the median of the five ratios is reported, so one disturbed pair cannot move it.
 */
async function paired (baselineUrl: string, url: string, headers: Record<string, string> = {}): Promise<Paired> {
  await load(url, { seconds: Math.min(2, seconds), connections, headers }) // warm-up
  const slice = Math.max(1, Math.round(seconds / 5))
  const base: LoadResult[] = []
  const target: LoadResult[] = []
  for (let i = 0; i < 5; i++) {
    base.push(await load(baselineUrl, { seconds: slice, connections }))
    target.push(await load(url, { seconds: slice, connections, headers }))
  }
  return {
    target: merge(target),
    baseline: merge(base),
    ratios: target.map((t, i) => t.requestsPerSecond / base[i]!.requestsPerSecond),
    p99Ratios: target.map((t, i) => t.p99 / Math.max(base[i]!.p99, 0.001)),
  }
}

interface SwapReport {
  propagation: { p50: number, p99: number, rounds: number }
  swaps: { steady: number, during: number, ratio: number, ratios: number[], switches: number, errors: number }
}

interface ClusterReport {
  tenants: number
  demoMs: number
  communes: number
  first: { ms: number, errors: number, p50: number, p99: number, cpu: Record<string, number> }
  memory: { firstPartyRss: number, firstPartyIsolates: number }
  balanced: { ratio: number, ratios: number[], errors: number }
}

interface ExchangeReport {
  ratios: number[]
  exchange: number[]
  fetch: number[]
  p99: { exchange: number[], fetch: number[] }
  errors: number
  logged: number
}

interface DataReport {
  dialect: string
  documents: number
  inbox: { p50: number, p99: number }
  report: { median: number, runs: number[] }
  export: { median: number, runs: number[] }
  neighbour: { idleP99: number, busyP99: number, ratio: number, reports: number, errors: number }
  storage: { ratio: number, ratios: number[] }
  procedures: { inbox: { p50: number, p99: number }, report: { median: number, runs: number[] }, filing: { ratio: number, ratios: number[], errors: number } }
}

/** The registry figures, from bench/swap.ts in its own process (it needs PostgreSQL for two nodes). */
function runSwapBench (): Promise<SwapReport | { skipped: string }> {
  return runScript<SwapReport>('bench/swap.ts')
}

/** One JSON line from a bench script run in its own process. */
function runScript<T> (script: string, ...args: string[]): Promise<T | { skipped: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', join(root, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk })
    child.on('close', (code) => {
      // The script's own line (data.ts marks it), else its last JSON line: a node's log lines are JSON too.
      const lines = out.trim().split('\n')
      const line = lines.find((l) => l.startsWith('BENCH_DATA '))?.slice('BENCH_DATA '.length) ?? lines.filter((l) => l.startsWith('{')).at(-1)
      if (code !== 0 || line === undefined) reject(new Error(`${script} exited ${code}: ${out.slice(-500)}`))
      else resolve(JSON.parse(line) as T | { skipped: string })
    })
  })
}

const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`
const spread = (values: number[], format: (v: number) => string): string => values.map(format).join(', ')

function row (name: string, result: LoadResult, ratio: number, p99Ratio: number): string {
  return [
    name.padEnd(34),
    result.requestsPerSecond.toFixed(0).padStart(8),
    result.p50.toFixed(2).padStart(8),
    result.p99.toFixed(2).padStart(8),
    pct(ratio).padStart(9),
    p99Ratio.toFixed(2).padStart(9),
    String(result.errors + result.non2xx).padStart(7),
  ].join(' ')
}

const dir = mkdtempSync(join(tmpdir(), 'nentang-bench-'))
const started: Started[] = []
try {
  const bare = await startProcess([join(root, 'bench/bare-koa.ts')], {}, (text) => Number(/"port":(\d+)/.exec(text)?.[1]) || undefined)
  started.push(bare)
  const platform = await startProcess([join(root, 'bench/platform-server.ts'), dir], {
    NENTANG_LOG_LEVEL: 'info',
  }, (text) => Number(/BENCH_REPORT \{"port":(\d+)/.exec(text)?.[1]) || undefined, { discardStdout: true })
  started.push(platform)
  const report = JSON.parse(platform.firstLine().slice('BENCH_REPORT '.length)) as { token: string, cold: { p50: number, p99: number }, warmSequential: { p50: number }, memory: { isolates: number, held: number, before: number, after: number, perIsolate: number } }
  const token = report.token
  console.log(`nentang bench: ${seconds} s per target, ${connections} connections, Node ${process.version}, SQLite\n`)
  const koa = `${bare.url}/`
  await load(koa, { seconds: Math.min(2, seconds), connections }) // warm-up
  const health = await paired(koa, `${platform.url}/healthz`)
  const me = await paired(koa, `${platform.url}/api/v1/me`, { authorization: `Bearer ${token}` })
  const plugin = await paired(koa, `${platform.url}/t/hn/hello/hello`)
  const storage = await paired(koa, `${platform.url}/t/hn/rw/rw`)
  const baseline = merge([health.baseline, me.baseline, plugin.baseline, storage.baseline])

  console.log('each target alternates with bare Koa in five pairs of slices; its ratios are the medians of the pairs\' ratios\n')
  console.log(['target'.padEnd(34), 'req/s'.padStart(8), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'of Koa'.padStart(9), 'p99 ×'.padStart(9), 'errors'.padStart(7)].join(' '))
  console.log(row('bare Koa hello-world (all slices)', baseline, 1, 1))
  for (const [name, result] of [['GET /healthz (no auth, no db)', health], ['GET /api/v1/me (JWT, user + grants)', me], ['plugin route, warm (hello)', plugin], ['plugin route, 1 storage write + read', storage]] as const) {
    console.log(row(name, result.target, median(result.ratios), median(result.p99Ratios)))
  }
  await Promise.all(started.map((s) => s.stop()))
  started.length = 0
  if (gatewayOnly) {
    console.log(`\nGET /healthz: ${pct(median(health.ratios))} of bare Koa (target ≥ 70%; pairs: ${spread(health.ratios, pct)}).
GET /api/v1/me: ${pct(median(me.ratios))} (target ≥ 60%, goal 70%; pairs: ${spread(me.ratios, pct)}).
warm plugin route: ${pct(median(plugin.ratios))} (target ≥ 60%, goal 70%; pairs: ${spread(plugin.ratios, pct)}).`)
    process.exit(0)
  }
  const swap = await runSwapBench()
  const swapLine = 'skipped' in swap
    ? `registry: ${swap.skipped}; skipped the two-node figures.`
    : `registry: approve + PUT on node A to the first response of the new version on node B: p50 ${swap.propagation.p50.toFixed(0)} ms, p99 ${swap.propagation.p99.toFixed(0)} ms over ${swap.propagation.rounds} rounds (target p99 ≤ 2 s).
throughput while switching versions every 100 ms (${swap.swaps.switches} switches): ${(swap.swaps.ratio * 100).toFixed(1)}% of steady, median of ${swap.swaps.ratios.length} alternating slices (${swap.swaps.ratios.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}; ${swap.swaps.during.toFixed(0)} / ${swap.swaps.steady.toFixed(0)} req/s), ${swap.swaps.errors} errors (target ≥ 90%, zero errors).`
  const cluster = await runScript<ClusterReport>('bench/cluster.ts')
  const clusterLines = 'skipped' in cluster
    ? `cluster: ${cluster.skipped}`
    : `national onboarding (PostgreSQL, three nodes behind nginx): nentang demo --national made ${cluster.tenants} units in ${(cluster.demoMs / 1000).toFixed(1)} s; the first request of the inherited procedures plugin in each of the ${cluster.communes} communes, 32 at a time through nginx: ${(cluster.first.ms / 1000).toFixed(1)} s in all (goal ≤ 10 s, floor 30 s), p50 ${cluster.first.p50.toFixed(0)} ms, p99 ${cluster.first.p99.toFixed(0)} ms, ${cluster.first.errors} errors; CPU seconds meanwhile: ${Object.entries(cluster.first.cpu).map(([kind, s]) => `${kind} ${s}`).join(', ')}. Then the six first-party workers held ${(cluster.memory.firstPartyRss / 1024 / 1024).toFixed(0)} MB (their own base included) in ${cluster.memory.firstPartyIsolates} isolates for ${cluster.communes} units: at most ${(cluster.memory.firstPartyRss / 1024 / 1024 / cluster.communes * 1000).toFixed(0)} MB per 1,000 units.
through nginx to three nodes: ${pct(cluster.balanced.ratio)} of one node reached directly (pairs: ${spread(cluster.balanced.ratios, pct)}; ${cluster.balanced.errors} errors). On this 2-core machine three nodes share the cores one node had, so this is the balancer's cost, not scaling.`
  const exchange = await runScript<ExchangeReport>('bench/exchange.ts')
  const exchangeLine = 'skipped' in exchange
    ? `exchange: ${exchange.skipped}`
    : `exchange: a plugin route making one exchange.call to the LGSP simulator (its own process): ${pct(median(exchange.ratios))} of the same route with http.fetch (goal ≥ 90%; pairs: ${spread(exchange.ratios, pct)}; p99 ${median(exchange.p99.exchange).toFixed(0)} ms against ${median(exchange.p99.fetch).toFixed(0)} ms; ${exchange.errors} errors; ${exchange.logged} calls logged with their hashes). The call, its credentials and its log are the gateway's, so it costs the gateway what http.fetch costs a worker.`
  const data: string[] = []
  for (const dialect of ['sqlite', 'postgres']) {
    const figures = await runScript<DataReport>('bench/data.ts', dialect)
    if ('skipped' in figures) {
      data.push(`data, ${dialect}: ${figures.skipped}`)
      continue
    }
    const { inbox, report: grouped, neighbour, storage: rw, procedures } = figures
    data.push(`data, ${dialect}, ${figures.documents} documents at one unit:
  storage route (1 write + 1 read): ${pct(rw.ratio)} of bare Koa (target ≥ 40%, floor 30%; pairs: ${spread(rw.ratios, pct)}).
  indexed inbox query (20 waiting of ${figures.documents}): p50 ${inbox.p50.toFixed(2)} ms, p99 ${inbox.p99.toFixed(2)} ms through HTTP (target p50 ≤ 5 ms).
  grouped count + sum: ${grouped.median.toFixed(0)} ms median of ${grouped.runs.length} (target ≤ 500 ms, floor 1 s).
  ${figures.documents}-row CSV export, start to file: ${(figures.export.median / 1000).toFixed(2)} s median of ${figures.export.runs.length} (target ≤ 5 s).
  neighbour tenant's warm route p99: ${neighbour.idleP99.toFixed(2)} ms idle, ${neighbour.busyP99.toFixed(2)} ms while ${neighbour.reports} reports ran: ${neighbour.ratio.toFixed(2)}× (goal < 2×), ${neighbour.errors} errors.
  procedures, ${figures.documents} dossiers: filing (check + dossier + history + timer) ${pct(procedures.filing.ratio)} of bare Koa (goal ≥ 30%, floor 25%; pairs: ${spread(procedures.filing.ratios, pct)}; ${procedures.filing.errors} errors); officer's inbox page p50 ${procedures.inbox.p50.toFixed(2)} ms, p99 ${procedures.inbox.p99.toFixed(2)} ms (target p50 ≤ 10 ms); grouped report ${procedures.report.median.toFixed(0)} ms (target ≤ 500 ms, floor 1 s).`)
  }
  const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2)
  console.log(`
GET /api/v1/me: ${pct(median(me.ratios))} of bare Koa's throughput (target ≥ 60%; pairs: ${spread(me.ratios, pct)}).
warm plugin route: ${pct(median(plugin.ratios))} of bare Koa (target ≥ 50%; pairs: ${spread(plugin.ratios, pct)}), p99 ${median(plugin.p99Ratios).toFixed(1)}× bare Koa's (target < 3×; pairs: ${spread(plugin.p99Ratios, (r) => `${r.toFixed(1)}×`)}).
storage route: ${pct(median(storage.ratios))} of bare Koa (target ≥ 30%; pairs: ${spread(storage.ratios, pct)}).
cold first request (new isolate, 100 in sequence): p50 ${report.cold.p50.toFixed(1)} ms, p99 ${report.cold.p99.toFixed(1)} ms (target p50 ≤ 15 ms); warm, in sequence: p50 ${report.warmSequential.p50.toFixed(2)} ms.
${swapLine}
${clusterLines}
${exchangeLine}
${data.join('\n')}
${report.memory.isolates} idle tenant isolates (${report.memory.held} held): tenant workers' RSS ${mb(report.memory.before)} MB → ${mb(report.memory.after)} MB, ${mb(report.memory.perIsolate)} MB per isolate (target ≤ 2 MB): ${(report.memory.perIsolate * 1000 / 1024 / 1024).toFixed(0)} MB per 1,000 tenants with one warm isolate each.`)
} finally {
  await Promise.all(started.map((s) => s.stop()))
  rmSync(dir, { recursive: true, force: true })
}

/**
 * `npm run bench`: throughput and latency of the platform against a bare Koa hello-world measured
 * in the same run, printed as ratios (these machines are shared, so only ratios mean anything).
 * Load comes from a separate autocannon process on 127.0.0.1, bounded in time.
 * BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 32) tune it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { load, type LoadResult } from './load.ts'
import { startProcess, type Started } from './processes.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
const root = new URL('../', import.meta.url).pathname
const password = 'bench-admin-password'

async function measure (url: string, headers: Record<string, string> = {}): Promise<LoadResult> {
  await load(url, { seconds: Math.min(2, seconds), connections, headers }) // warm-up
  return load(url, { seconds, connections, headers })
}

function row (name: string, result: LoadResult, baseline: LoadResult): string {
  const ratio = result.requestsPerSecond / baseline.requestsPerSecond
  return [
    name.padEnd(34),
    result.requestsPerSecond.toFixed(0).padStart(8),
    result.p50.toFixed(2).padStart(8),
    result.p99.toFixed(2).padStart(8),
    `${(ratio * 100).toFixed(1)}%`.padStart(9),
    (result.p99 / Math.max(baseline.p99, 0.001)).toFixed(2).padStart(9),
    String(result.errors + result.non2xx).padStart(7),
  ].join(' ')
}

const dir = mkdtempSync(join(tmpdir(), 'nentang-bench-'))
const started: Started[] = []
try {
  const bare = await startProcess([join(root, 'bench/bare-koa.ts')], {}, (text) => Number(/"port":(\d+)/.exec(text)?.[1]) || undefined)
  started.push(bare)
  const platform = await startProcess([join(root, 'cli/nentang.ts'), 'start', '--port', '0', '--host', '127.0.0.1'], {
    NENTANG_DATABASE_URL: `sqlite:${join(dir, 'nentang.db')}`,
    NENTANG_DATA_DIR: dir,
    NENTANG_ADMIN_PASSWORD: password,
  }, (text) => Number(/listening on http:\/\/localhost:(\d+)/.exec(text)?.[1]) || undefined, { discardStdout: true })
  started.push(platform)
  const signIn = await fetch(`${platform.url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) })
  const { token } = await signIn.json() as { token: string }

  console.log(`nentang bench: ${seconds} s per target, ${connections} connections, Node ${process.version}, SQLite\n`)
  const baseline = await measure(`${bare.url}/`)
  const me = await measure(`${platform.url}/api/v1/me`, { authorization: `Bearer ${token}` })
  const health = await measure(`${platform.url}/healthz`)

  console.log(['target'.padEnd(34), 'req/s'.padStart(8), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'of Koa'.padStart(9), 'p99 ×'.padStart(9), 'errors'.padStart(7)].join(' '))
  console.log(row('bare Koa hello-world (baseline)', baseline, baseline))
  console.log(row('GET /healthz (no auth, no db)', health, baseline))
  console.log(row('GET /api/v1/me (JWT + db read)', me, baseline))
  console.log(`\nGET /api/v1/me reaches ${(me.requestsPerSecond / baseline.requestsPerSecond * 100).toFixed(1)}% of bare Koa's throughput (target ≥ 60%).`)
} finally {
  await Promise.all(started.map((s) => s.stop()))
  rmSync(dir, { recursive: true, force: true })
}

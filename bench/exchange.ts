/**
 * The exchange's cost (bench/run.ts prints it): a plugin route making one `exchange.call` to the LGSP simulator,
 * against the same route making the same call with `http.fetch`, in five alternating pairs of slices. Both on a
 * platform on SQLite in this process, the simulator in its own; prints one BENCH_DATA line.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPlatform } from '../platform/start.ts'
import { packFolder } from '../registry/first-party.ts'
import { benchConfig } from './bench-config.ts'
import { load, type LoadResult } from './load.ts'
import { startProcess } from './processes.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
const root = new URL('../', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'nentang-bench-exchange-'))
// In a process of its own, as another agency's system is: its work is not the gateway's.
const sim = await startProcess([join(root, 'examples/lgsp-simulator/main.ts')], {}, (text) => Number(/LGSP_SIMULATOR \{"url":"http:\/\/127\.0\.0\.1:(\d+)/.exec(text)?.[1]) || undefined)
const simHost = new URL(sim.url).host
// http.fetch reaches the simulator on loopback only when the platform allows it: the baseline's call.
const platform = await startPlatform(benchConfig(dir, { logLevel: 'warn', httpAllowPrivate: [simHost] }))
try {
  const call = async (method: string, path: string, token: string, body?: unknown, raw?: Buffer): Promise<any> => {
    const response = await fetch(platform.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': raw === undefined ? 'application/json' : 'application/gzip' },
      ...(raw === undefined ? (body === undefined ? {} : { body: JSON.stringify(body) }) : { body: raw }),
    })
    const answer = await response.json().catch(() => null)
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`)
    return answer
  }
  const signIn = async (username: string, password: string): Promise<string> =>
    (await (await fetch(`${platform.url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })).json() as { token: string }).token
  const admin = await signIn('admin', 'bench-admin-password')
  await call('POST', '/api/v1/tenants/vn/children', admin, { code: 'hn', name: 'Hà Nội' })
  await call('POST', '/api/v1/tenants/vn/users', admin, { username: 'reviewer', password: 'bench-reviewer-password', roles: ['platform-admin'] })
  await call('POST', '/api/v1/registry/packages', admin, undefined, await packFolder(join(root, 'bench/plugins/exchange-echo')))
  await call('POST', '/api/v1/registry/packages/hn/exchange-echo/versions/1.0.0/approve', await signIn('reviewer', 'bench-reviewer-password'), {})
  await call('PUT', '/api/v1/tenants/hn/plugins/ex', admin, { package: '@hn/exchange-echo', version: '1.0.0', settings: { echoUrl: sim.url } })
  await call('PUT', '/api/v1/tenants/hn/plugins/ex/endpoints/echo', admin, { baseUrl: sim.url, auth: { kind: 'none' }, allowPrivate: true, retries: 0 })

  const viaExchange = `${platform.url}/t/hn/ex/exchange`
  const viaFetch = `${platform.url}/t/hn/ex/fetch`
  for (const url of [viaExchange, viaFetch]) {
    const answer = await fetch(url)
    if (answer.status !== 200) throw new Error(`${url}: ${answer.status} ${await answer.text()}`)
    await load(url, { seconds: Math.min(2, seconds), connections })
  }
  const slice = Math.max(1, Math.round(seconds / 5))
  const pairs: Array<{ exchange: LoadResult, fetch: LoadResult }> = []
  for (let i = 0; i < 5; i++) {
    const fetched = await load(viaFetch, { seconds: slice, connections })
    pairs.push({ fetch: fetched, exchange: await load(viaExchange, { seconds: slice, connections }) })
  }
  const ratios = pairs.map((pair) => pair.exchange.requestsPerSecond / pair.fetch.requestsPerSecond)
  const logged = Number((await platform.services.db.knex('exchange_log').count({ n: '*' }).first())?.n ?? 0)
  console.log('BENCH_DATA ' + JSON.stringify({
    ratios,
    exchange: pairs.map((pair) => pair.exchange.requestsPerSecond),
    fetch: pairs.map((pair) => pair.fetch.requestsPerSecond),
    p99: { exchange: pairs.map((pair) => pair.exchange.p99), fetch: pairs.map((pair) => pair.fetch.p99) },
    errors: pairs.reduce((n, pair) => n + pair.exchange.errors + pair.exchange.non2xx + pair.fetch.errors + pair.fetch.non2xx, 0),
    logged,
  }))
} finally {
  await platform.close()
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
}

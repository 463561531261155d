import { request as httpRequest } from 'node:http'
import t, { type Test } from 'tap'
import { signInAdmin, startCluster } from '../helpers/cluster.ts'
import { testDialect } from '../helpers/database.ts'
import { startNginx } from '../helpers/nginx.ts'

const POSTGRES_ONLY = testDialect !== 'postgres' && 'several nodes share PostgreSQL; SQLite is one node'

/** Three `nentang start` processes on one PostgreSQL database, behind nginx configured as docs/deploy.md ships it. */
async function cluster (t: Test) {
  const { nodes } = await startCluster(t)
  const nginx = await startNginx(t, nodes.map((node) => new URL(node.url).host))
  return { nodes, nginx, token: await signInAdmin(nginx.url) }
}

/**
 * One request on a connection of its own. (An nginx reload closes its idle keep-alive connections with clients; a
 * browser sends again what it had put on such a connection, Node's fetch does not, and that is nginx's reload, not the
 * node's drain, which these tests are about.)
 */
function send (url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) }, agent: false }, (response) => {
      response.resume()
      response.on('end', () => resolve({ status: response.statusCode ?? 0 }))
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(body)
  })
}

interface LoadResult {
  /** Codes of the units whose creation was answered 201. */
  acknowledged: string[]
  failures: Array<{ at: number, what: string }>
  reads: number
  writes: number
  /** Requests answered after `mark` was called. */
  servedAfterMark: number
}

/** Steady reads and writes through nginx by `workers` clients for `ms`; `midway` runs once, `atMs` in. */
async function load (url: string, token: string, ms: number, atMs: number, midway: () => Promise<void> | void): Promise<LoadResult> {
  const result: LoadResult = { acknowledged: [], failures: [], reads: 0, writes: 0, servedAfterMark: 0 }
  const started = Date.now()
  let marked = false
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const trigger = (async () => {
    await new Promise((resolve) => setTimeout(resolve, atMs))
    await midway()
    marked = true
  })()
  let serial = 0
  await Promise.all(Array.from({ length: 8 }, async (_, worker) => {
    while (Date.now() - started < ms) {
      const write = worker % 2 === 0
      const code = `lb-${worker}-${serial++}`
      const at = Date.now() - started
      try {
        const response = write
          ? await send(`${url}/api/v1/tenants/vn/children`, 'POST', headers, JSON.stringify({ code, name: `Đơn vị ${code}` }))
          : await send(`${url}/api/v1/me`, 'GET', headers)
        if (response.status === (write ? 201 : 200)) {
          if (write) result.acknowledged.push(code)
          if (marked) result.servedAfterMark++
        } else {
          result.failures.push({ at, what: `${write ? 'POST' : 'GET'} → ${response.status}` })
        }
      } catch (error) {
        result.failures.push({ at, what: `${write ? 'POST' : 'GET'} → ${(error as Error).message}` })
      }
      if (write) result.writes++
      else result.reads++
    }
  }))
  await trigger
  return result
}

async function allExist (url: string, token: string, codes: string[]): Promise<string[]> {
  const missing: string[] = []
  for (const code of codes) {
    const response = await fetch(`${url}/api/v1/tenants/${code}`, { headers: { authorization: `Bearer ${token}` } })
    if (response.status !== 200) missing.push(code)
  }
  return missing
}

t.test('three nodes behind nginx serve reads and writes; the client address comes from nginx alone', { skip: POSTGRES_ONLY }, async (t) => {
  const { nodes, nginx, token } = await cluster(t)
  const forged = await fetch(`${nginx.url}/api/v1/me/sessions`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.9' } })
  const sessions = (await forged.json() as { sessions: Array<{ address: string }> }).sessions
  t.equal(sessions[0]!.address, '127.0.0.1', "a client's own X-Forwarded-For is replaced by nginx's view of it")
  // nginx reaches the nodes over loopback, where /metrics needs no token: nginx must not pass it on.
  t.equal((await fetch(`${nginx.url}/metrics`)).status, 403, '/metrics is not reachable through the balancer')
  t.equal((await fetch(`${nodes[0]!.url}/metrics`)).status, 200, 'Prometheus scrapes the node itself')
  const result = await load(nginx.url, token, 1500, 100, () => {})
  t.same(result.failures, [], `${result.reads} reads and ${result.writes} writes, none failed`)
})

t.test('a node taken out of nginx, then stopped with SIGTERM under load: it drains, and nothing fails', { skip: POSTGRES_ONLY }, async (t) => {
  const { nodes, nginx, token } = await cluster(t)
  // The procedure docs/deploy.md gives: out of rotation (a graceful reload), then SIGTERM.
  const result = await load(nginx.url, token, 4000, 1500, async () => {
    await nginx.takeOut(new URL(nodes[1]!.url).host)
    nodes[1]!.child.kill('SIGTERM')
  })
  t.equal(await nodes[1]!.exited, 0, 'the node shut down cleanly')
  t.same(result.failures, [], `${result.reads} reads and ${result.writes} writes through the drain, none failed`)
  t.ok(result.servedAfterMark > 20, `the other nodes went on serving (${result.servedAfterMark} after the signal)`)
  t.same(await allExist(nginx.url, token, result.acknowledged), [], `every one of the ${result.acknowledged.length} acknowledged writes is there`)
})

t.test('SIGKILL to a node under load: no acknowledged write is lost, failures only for what it had in flight', { skip: POSTGRES_ONLY }, async (t) => {
  const { nodes, nginx, token } = await cluster(t)
  let killedAt = 0
  const result = await load(nginx.url, token, 4000, 1500, () => {
    killedAt = 1500
    nodes[2]!.child.kill('SIGKILL')
  })
  t.ok(result.failures.length <= 8, `at most the requests in flight fail (${result.failures.length}: ${result.failures.map((f) => f.what).join('; ')})`)
  t.ok(result.failures.every((f) => f.at >= killedAt - 200 && f.at <= killedAt + 500), 'and only around the kill')
  t.ok(result.servedAfterMark > 20, `the other nodes keep serving (${result.servedAfterMark} after the kill)`)
  t.same(await allExist(nginx.url, token, result.acknowledged), [], `every one of the ${result.acknowledged.length} acknowledged writes is there`)
})

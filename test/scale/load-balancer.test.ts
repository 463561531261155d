import t, { type Test } from 'tap'
import { allExist, load } from '../helpers/cluster-load.ts'
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

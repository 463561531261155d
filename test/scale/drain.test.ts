import t from 'tap'
import { allExist, load } from '../helpers/cluster-load.ts'
import { signInAdmin, startCluster } from '../helpers/cluster.ts'
import { testDialect } from '../helpers/database.ts'
import { startHaproxy } from '../helpers/haproxy.ts'

const POSTGRES_ONLY = testDialect !== 'postgres' && 'several nodes share PostgreSQL; SQLite is one node'

/**
 * The balancer is not told: a node gets SIGTERM under load (autoscaling, a host rebooting). /readyz turns 503 at once,
 * HAProxy (deploy/haproxy/nentang.cfg, polling /readyz every 500 ms) takes the node out, the node keeps serving for
 * NENTANG_DRAIN and only then closes its listener and finishes what it holds.
 */
t.test('SIGTERM to a node behind HAProxy, unannounced, under load: /readyz turns 503 first, nothing fails', { skip: POSTGRES_ONLY }, async (t) => {
  const { nodes } = await startCluster(t, 3, { NENTANG_DRAIN: '2500' })
  const haproxy = await startHaproxy(t, nodes.map((node) => new URL(node.url).host))
  const token = await signInAdmin(haproxy.url)
  t.equal((await fetch(`${haproxy.url}/metrics`)).status, 403, '/metrics is not reachable through the balancer')
  let readyDuringDrain = 0
  const result = await load(haproxy.url, token, 6000, 1500, async () => {
    nodes[1]!.child.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 300))
    readyDuringDrain = (await fetch(`${nodes[1]!.url}/readyz`)).status
  })
  t.equal(readyDuringDrain, 503, 'the stopping node answered /readyz with 503 while it still served')
  t.equal(await nodes[1]!.exited, 0, 'then drained and stopped cleanly')
  t.same(result.failures, [], `${result.reads} reads and ${result.writes} writes, none failed`)
  t.ok(result.servedAfterMark > 20, `the other nodes went on serving (${result.servedAfterMark} after the signal)`)
  t.same(await allExist(haproxy.url, token, result.acknowledged), [], `every one of the ${result.acknowledged.length} acknowledged writes is there`)
})

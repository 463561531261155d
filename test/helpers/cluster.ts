import { randomBytes } from 'node:crypto'
import { createTestDatabase } from './database.ts'
import { startNode, type RunningNode } from './process.ts'

export const CLUSTER_PASSWORD = 'an-admin-password-for-three-nodes'

export interface TestCluster {
  nodes: RunningNode[]
  /** The environment every node of the cluster starts with (one database, one data folder, one secret key). */
  env: Record<string, string>
  /** Starts one more node of the cluster, with `program` (another build's `nentang`) when given. */
  add(program?: string[]): Promise<RunningNode>
}

/** `count` `nentang start` processes on one new PostgreSQL database, the first alone (it migrates), then the others. */
export async function startCluster (t: { teardown(fn: () => unknown): void }, count = 3, extraEnv: Record<string, string> = {}): Promise<TestCluster> {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const env = {
    NENTANG_DATABASE_URL: database.url,
    NENTANG_DATA_DIR: database.dir,
    NENTANG_ADMIN_PASSWORD: CLUSTER_PASSWORD,
    NENTANG_SECRET_KEY: randomBytes(32).toString('hex'),
    NENTANG_TRUST_PROXY: 'true',
    NENTANG_WORKERS: '1',
    NENTANG_SHUTDOWN_TIMEOUT: '20000',
    ...extraEnv,
  }
  const nodes: RunningNode[] = [await startNode(t, [], env)]
  nodes.push(...await Promise.all(Array.from({ length: count - 1 }, () => startNode(t, [], env))))
  return {
    nodes,
    env,
    async add (program) {
      const node = program === undefined ? await startNode(t, [], env) : await startNode(t, [], env, program)
      nodes.push(node)
      return node
    },
  }
}

/** Signs the platform administrator in at `url` (a node, or the balancer in front of them); the bearer token. */
export async function signInAdmin (url: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: CLUSTER_PASSWORD }) })
  const { token } = await response.json() as { token: string }
  return token
}

import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { allExist, load } from '../helpers/cluster-load.ts'
import { signInAdmin, startCluster } from '../helpers/cluster.ts'
import { testDialect } from '../helpers/database.ts'
import { startNginx } from '../helpers/nginx.ts'
import type { RunningNode } from '../helpers/process.ts'

const POSTGRES_ONLY = testDialect !== 'postgres' && 'several nodes share PostgreSQL; SQLite is one node'
const root = new URL('../../', import.meta.url).pathname
const NEWER = '0.1.1-rolling-test'
/** This checkout's last migration, and the one the newer build adds after it. */
const LAST = [...readFileSync(join(root, 'core/db/migrate.ts'), 'utf8').matchAll(/^ {2}\['(\d{4})(-[a-z0-9-]+)', \w+\],$/gm)].at(-1)!
const PROBE = `${String(Number(LAST[1]) + 1).padStart(4, '0')}-rolling-upgrade-probe`

/**
 * A newer build of the platform, as an operator receives one: this checkout's code with a version of its own and one
 * more migration, which only adds (a table, and a column to an existing one).
 */
function newerBuild (): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nentang-newer-'))
  for (const folder of ['cli', 'client', 'console', 'core', 'platform', 'plugins', 'registry', 'sandbox', 'sdk']) cpSync(join(root, folder), join(dir, folder), { recursive: true })
  cpSync(join(root, 'package.json'), join(dir, 'package.json'))
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, `core/db/migrations/${PROBE}.ts`), `import type { Knex } from 'knex'

export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('upgrade_probe', (table) => { table.increments('id'); table.string('note', 64) })
  await knex.schema.alterTable('tenants', (table) => { table.string('upgrade_note', 64).nullable() })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (table) => { table.dropColumn('upgrade_note') })
  await knex.schema.dropTableIfExists('upgrade_probe')
}
`)
  const migrate = join(dir, 'core/db/migrate.ts')
  const source = readFileSync(migrate, 'utf8')
  const last = [...source.matchAll(/^ {2}\['(\d{4}-[a-z0-9-]+)', (\w+)\],$/gm)].at(-1)!
  writeFileSync(migrate, source
    .replace(/^(import \* as \w+ from '\.\/migrations\/[^']+'\n)(?!import)/m, `$1import * as probe from './migrations/${PROBE}.ts'\n`)
    .replace(last[0], `${last[0]}\n  ['${PROBE}', probe],`))
  const server = join(dir, 'core/server.ts')
  writeFileSync(server, readFileSync(server, 'utf8').replace(/PLATFORM_VERSION = '[^']+'/, `PLATFORM_VERSION = '${NEWER}'`))
  return [process.execPath, '--no-node-snapshot', join(dir, 'cli/nentang.ts')]
}

async function versionOf (node: RunningNode, token: string): Promise<string> {
  const response = await fetch(`${node.url}/api/v1/platform/status`, { headers: { authorization: `Bearer ${token}` } })
  return (await response.json() as { version: string }).version
}

t.test('a rolling upgrade under load: migrate first, then each node replaced in turn; nothing fails', { skip: POSTGRES_ONLY }, async (t) => {
  const newer = newerBuild()
  const cluster = await startCluster(t)
  const nginx = await startNginx(t, cluster.nodes.map((node) => new URL(node.url).host))
  const token = await signInAdmin(nginx.url)
  const old = [...cluster.nodes]
  const replacements: RunningNode[] = []
  const result = await load(nginx.url, token, 3000, 1000, async () => {
    // 1. The newer build's migration, while the old nodes serve (it only adds).
    const migrated = spawnSync(newer[0]!, [...newer.slice(1), 'migrate'], { env: { ...process.env, ...cluster.env }, encoding: 'utf8', timeout: 60_000 })
    t.equal(migrated.status, 0, `the newer build migrates the database first: ${migrated.stdout.trim()}${migrated.stderr.trim()}`)
    // 2. One node at a time: the new one started and listed, the old one out of rotation, then SIGTERM.
    for (const node of old) {
      const fresh = await cluster.add(newer)
      replacements.push(fresh)
      await nginx.add(new URL(fresh.url).host)
      await nginx.takeOut(new URL(node.url).host)
      node.child.kill('SIGTERM')
      t.equal(await node.exited, 0, 'an old node drained and stopped cleanly')
    }
  })
  t.same(result.failures, [], `${result.reads} reads and ${result.writes} writes through the whole roll, none failed`)
  t.same(await allExist(nginx.url, token, result.acknowledged), [], `every one of the ${result.acknowledged.length} acknowledged writes is there`)
  t.same(await Promise.all(replacements.map((node) => versionOf(node, token))), [NEWER, NEWER, NEWER], 'three nodes of the newer build serve')

  // An old node started again on the migrated database refuses, saying why.
  const refused = spawnSync(process.execPath, ['--no-node-snapshot', join(root, 'cli/nentang.ts'), 'start', '--port', '0', '--host', '127.0.0.1'],
    { env: { ...process.env, ...cluster.env, NENTANG_MFA_ROLES: '' }, encoding: 'utf8', timeout: 60_000 })
  t.equal(refused.status, 1, 'the old build does not start')
  t.ok(refused.stderr.includes(`CORE_ERR_DATABASE_TOO_NEW: the database was migrated by a newer nentang (${PROBE}); this build knows migrations up to ${LAST[1]}${LAST[2]}`),
    `and names the migrations it does not know: ${refused.stderr.trim()}`)
})

/**
 * `npm test`: the type check and the linter, then the whole suite on SQLite, then again on a fresh
 * PostgreSQL when one answers at NENTANG_TEST_POSTGRES_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), and one last
 * line `N passed, N failed` summed over both runs. Without PostgreSQL it says it skipped that
 * run, unless NENTANG_TEST_REQUIRE_POSTGRES=1 (CI), which makes that a failure.
 * Extra arguments go to tap (e.g. a test file).
 *
 * A test file whose first line reads `// SQLite pass only: <why>` tests something the database does not change (a
 * browser page, the command line, an isolate's limits): the PostgreSQL pass leaves it out. Coverage is not measured
 * here (`npm run coverage` reports it): it slows every process and gates nothing.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { globSync, readFileSync } from 'node:fs'
import pg from 'pg'

const postgresUrl = process.env.NENTANG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const requirePostgres = process.env.NENTANG_TEST_REQUIRE_POSTGRES === '1'
const tapArgs = process.argv.slice(2)

interface RunResult {
  passed: number
  failed: number
  exitCode: number
}

const root = new URL('../', import.meta.url).pathname
const SQLITE_ONLY = /^\/\/ SQLite pass only: /

/** The test files of a pass: all of them on SQLite; on PostgreSQL, those whose subject the database may change. */
function testFiles (database: 'sqlite' | 'postgres'): string[] {
  if (tapArgs.length > 0) return tapArgs
  const all = globSync('test/**/*.test.ts', { cwd: root }).sort()
  return database === 'sqlite' ? all : all.filter((file) => !SQLITE_ONLY.test(readFileSync(root + file, 'utf8')))
}

function runTap (database: 'sqlite' | 'postgres', runId: string): Promise<RunResult> {
  const files = testFiles(database)
  console.log(`\n=== tests on ${database} (${files.length} files) ===\n`)
  return new Promise((resolve) => {
    const child = spawn(tap, ['--reporter=tap', '--disable-coverage', ...files], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      // Node keeps the compiled modules between the suite's many processes (each test file, each CLI it runs).
      env: { NODE_COMPILE_CACHE: root + 'node_modules/.cache/node-compile', ...process.env, NENTANG_TEST_DATABASE: database, NENTANG_TEST_RUN: runId },
    })
    let tail = ''
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      tail = (tail + chunk.toString()).slice(-4096)
    })
    child.on('close', (code) => {
      // tap's closing summary: `# { total: 12, pass: 10, fail: 1, skip: 1 }`
      const summary = tail.slice(tail.lastIndexOf('# { total'))
      const count = (key: string): number => Number(new RegExp(`\\b${key}: (\\d+)`).exec(summary)?.[1] ?? 0)
      const failed = summary.startsWith('# { total') ? count('fail') : 1
      resolve({ passed: count('pass'), failed: code !== 0 && failed === 0 ? 1 : failed, exitCode: code ?? 1 })
    })
  })
}

async function postgresReachable (): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('select 1')
    return undefined
  } catch (error) {
    return (error as Error).message
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function dropLeftovers (runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl })
  await client.connect()
  try {
    const { rows } = await client.query('select datname from pg_database where datname like $1', [`nentang_test_${runId}_%`])
    for (const row of rows) await client.query(`drop database if exists "${row.datname}" with (force)`)
    // Sandbox workers' login roles of databases that no longer exist (one is dropped with each test's database).
    const roles = await client.query("select rolname from pg_roles where rolname like 'nentang_worker_%'")
    for (const role of roles.rows) await client.query(`drop role if exists ${role.rolname}`).catch(() => undefined)
  } finally {
    await client.end()
  }
}

// tap compiles its plugin set (here: without its ts-node loader, see .taprc) at build time; a fresh
// `npm ci` holds the default set, and tap's own rebuild on a mismatch comes too late for that run.
const tap = new URL('../node_modules/.bin/tap', import.meta.url).pathname
const built = spawnSync(tap, ['build'], { stdio: ['ignore', 'ignore', 'inherit'] })
if (built.status !== 0) {
  console.log('tap build failed\n0 passed, 1 failed')
  process.exit(1)
}

// Node runs the TypeScript by stripping its types; the type check is a test of its own.
console.log('\n=== type check (tsc) ===\n')
const typecheck = spawnSync(new URL('../node_modules/.bin/tsc', import.meta.url).pathname, ['-p', new URL('../tsconfig.json', import.meta.url).pathname], { stdio: 'inherit' })
const typed: RunResult = typecheck.status === 0 ? { passed: 1, failed: 0, exitCode: 0 } : { passed: 0, failed: 1, exitCode: 1 }
console.log(typecheck.status === 0 ? 'types: ok' : 'types: tsc found errors')

// The style is a test of its own too: the linter (eslint.config.js) must find nothing.
console.log('\n=== lint (eslint) ===\n')
const lint = spawnSync(new URL('../node_modules/.bin/eslint', import.meta.url).pathname, ['.'], { stdio: 'inherit', cwd: new URL('../', import.meta.url).pathname })
const linted: RunResult = lint.status === 0 ? { passed: 1, failed: 0, exitCode: 0 } : { passed: 0, failed: 1, exitCode: 1 }
console.log(lint.status === 0 ? 'lint: ok' : 'lint: eslint found problems')

const runId = randomBytes(4).toString('hex')
const results: RunResult[] = [typed, linted, await runTap('sqlite', runId)]
const unreachable = await postgresReachable()
if (unreachable === undefined) {
  results.push(await runTap('postgres', runId))
  await dropLeftovers(runId)
} else if (requirePostgres) {
  console.log(`\nPostgreSQL is required (NENTANG_TEST_REQUIRE_POSTGRES=1) but not reachable at ${postgresUrl}: ${unreachable}`)
  results.push({ passed: 0, failed: 1, exitCode: 1 })
} else {
  console.log(`\nPostgreSQL not reachable at ${postgresUrl} (${unreachable}): skipped the PostgreSQL run.`)
}
const passed = results.reduce((sum, r) => sum + r.passed, 0)
const failed = results.reduce((sum, r) => sum + r.failed, 0)
console.log(`\n${passed} passed, ${failed} failed`)
process.exitCode = failed > 0 || results.some((r) => r.exitCode !== 0) ? 1 : 0

import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { loadConfig } from '../../core/config.ts'
import { transaction } from '../../core/db/database.ts'
import { isPlatformError } from '../../core/errors.ts'
import { startPlatform } from '../../platform/start.ts'
import { createGrant } from '../../core/tenancy/grants.ts'
import { createTenant, findTenant } from '../../core/tenancy/tenants.ts'
import { createUser } from '../../core/tenancy/users.ts'
import { installFromFolder, readManifest } from '../../registry/local-install.ts'
import { apiCall, describeError, describeFailure } from '../api-client.ts'
import { parseArgs } from '../args.ts'

export const pluginTestUsage = `usage: nentang plugin test [folder] [--settings <json>]

Runs a plugin's tests (test/**/*.test.js, with node:test) against real sandboxes: starts a throwaway
platform on a temporary SQLite database, creates the tenant 'test' with the users test-member (member),
test-officer (officer and every role the plugin declares) and test-admin (tenant-admin), installs the
folder at the plugin's name, and gives the tests NENTANG_TEST_URL and NENTANG_TEST_TOKENS.
Exits with the tests' status.

  --settings            the installation's settings, as JSON (default: the schema's defaults)
  --http-allow-private  host:port,… the plugin may fetch although private or loopback: a local mock of the
                        service it calls (also read from NENTANG_HTTP_ALLOW_PRIVATE)`

const TENANT = 'test'

function testFiles (folder: string): string[] {
  const root = join(folder, 'test')
  if (!existsSync(root)) return []
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.test\.(js|mjs)$/.test(entry.name) && !entry.parentPath.includes('node_modules'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

/** `nentang plugin test`. */
export async function pluginTestCommand (args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], ['settings', 'http-allow-private'])
  const folder = resolve(parsed.positionals[0] ?? '.')
  let settings: Record<string, unknown> = {}
  try {
    settings = JSON.parse(parsed.options.get('settings') ?? '{}') as Record<string, unknown>
  } catch (error) {
    console.error(`nentang plugin test: --settings is not JSON: ${(error as Error).message}`)
    return 2
  }
  let manifest
  try {
    manifest = readManifest(folder)
  } catch (error) {
    if (!isPlatformError(error)) throw error
    console.error(`nentang plugin test: ${describeError(error)}`)
    return 1
  }
  const files = testFiles(folder)
  if (files.length === 0) {
    console.error(`nentang plugin test: no test files (test/**/*.test.js) in ${folder}`)
    return 1
  }
  const allowPrivate = parsed.options.get('http-allow-private') ?? process.env.NENTANG_HTTP_ALLOW_PRIVATE
  const mount = manifest.name.split('/')[1]!
  const dir = mkdtempSync(join(tmpdir(), 'nentang-plugin-test-'))
  process.stderr.write(`starting a platform with real sandboxes for ${manifest.name}@${manifest.version}…\n`)
  const config = loadConfig([
    '--port', '0', '--host', '127.0.0.1', '--database-url', `sqlite:${join(dir, 'test.db')}`, '--data-dir', dir,
    // One argument with '=': a base64url password can start with '-', which would read as another option.
    `--admin-password=${randomBytes(18).toString('base64url')}`, '--log-level', 'silent', '--workers', '1',
    // A throwaway platform on this machine: its test users sign in with a password alone.
    '--mfa-roles=',
    ...(allowPrivate === undefined ? [] : [`--http-allow-private=${allowPrivate}`]),
  ], {})
  const platform = await startPlatform(config)
  try {
    const { db, changes, plugins } = platform.services
    const password = randomBytes(18).toString('base64url')
    const root = (await findTenant(db, 'vn')) ?? null
    const tenant = await transaction(db, async (trx) => {
      const created = await createTenant(trx, root, { code: TENANT, name: 'Test' })
      const users: Array<[string, string[]]> = [['test-member', ['member']], ['test-officer', ['officer', ...(manifest.roles ?? [])]], ['test-admin', ['tenant-admin']]]
      for (const [username, roles] of users) {
        const user = await createUser(trx, changes, created, { username, password, displayName: username })
        for (const role of roles) await createGrant(trx, changes, user, role, created, false)
      }
      return created
    })
    try {
      installFromFolder(plugins.table, plugins.supervisor, { tenant, mount, folder, settings })
    } catch (error) {
      if (!isPlatformError(error)) throw error
      console.error(`nentang plugin test: the plugin does not install: ${describeError(error)}`)
      return 1
    }
    const tokens: Record<string, string> = {}
    for (const role of ['member', 'officer', 'admin']) {
      const response = await apiCall(platform.url, 'POST', '/api/v1/auth/token', { body: { username: `test-${role}`, password } })
      if (response.status !== 200) throw new Error(`test user sign-in failed: ${describeFailure(response)}`)
      tokens[role] = response.body.token
    }
    const url = `${platform.url}/t/${TENANT}/${mount}`
    process.stderr.write(`installed at ${url}; running ${files.length} test file(s): ${files.map((f) => relative(folder, f)).join(', ')}\n`)
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['--test', ...files], {
        cwd: folder,
        env: { ...process.env, NENTANG_TEST_URL: url, NENTANG_TEST_TOKENS: JSON.stringify(tokens) },
        stdio: 'inherit',
      })
      child.on('error', reject)
      child.on('close', (code) => resolve(code ?? 1))
    })
  } finally {
    await platform.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, join, relative, resolve, sep } from 'node:path'
import { watch } from 'chokidar'
import { defaults, loadConfig } from '../../core/config.ts'
import { startPlatform } from '../../platform/start.ts'
import { createTenant, findTenant, type Tenant } from '../../core/tenancy/tenants.ts'
import { transaction } from '../../core/db/database.ts'
import { appendAudit } from '../../core/audit/audit-log.ts'
import { installFromFolder } from '../../registry/local-install.ts'

const DEV_TENANT = 'dev'

/**
 * `nentang dev <folder>...`: a platform for development. Each plugin folder is installed, unreviewed,
 * for the development tenant `dev` only (mount = folder name), and reinstalled within a second of
 * any change to its files, with no restart. `nentang start` never loads a folder.
 */
export async function devCommand (args: string[]): Promise<number> {
  const { folders, flags } = splitArgs(args)
  const config = loadConfig(flags)
  // A development platform on this machine: its administrator signs in with a password alone, unless told otherwise.
  if (process.env.NENTANG_MFA_ROLES === undefined && !flags.some((flag) => flag.startsWith('--mfa-roles'))) config.mfaRoles = []
  const targets = (folders.length > 0 ? folders : config.devPlugins).map((folder) => resolve(folder))
  if (targets.length === 0) {
    console.error('nentang dev: name at least one plugin folder (or set NENTANG_DEV_PLUGINS)')
    return 2
  }
  // The platform's own files live outside the plugin folders: a database or a secret key written there would be
  // reloaded on each write and packed by `plugin pack`. Unless told otherwise, they go to ~/.nentang/dev.
  if (config.dataDir === defaults.dataDir && config.databaseUrl === defaults.databaseUrl) {
    config.dataDir = join(homedir(), '.nentang', 'dev')
    config.databaseUrl = `sqlite:${join(config.dataDir, 'nentang.db')}`
  }
  const dataDir = resolve(config.dataDir)
  const inside = targets.find((folder) => dataDir === folder || dataDir.startsWith(`${folder}${sep}`))
  if (inside !== undefined) {
    console.error(`nentang dev: the data folder ${dataDir} is inside the plugin folder ${inside}; choose another with --data-dir (NENTANG_DATA_DIR)`)
    return 2
  }
  mkdirSync(dataDir, { recursive: true })
  // Signed-in routes must be tried too: the development admin's password, kept beside the data, said at each start.
  const passwordFile = join(dataDir, 'dev-admin-password')
  if (config.adminPassword === undefined) {
    if (!existsSync(passwordFile)) writeFileSync(passwordFile, `${randomBytes(12).toString('base64url')}\n`, { mode: 0o600 })
    config.adminPassword = readFileSync(passwordFile, 'utf8').trim()
  }
  const platform = await startPlatform(config)
  const { db, plugins, logger } = platform.services
  let tenant = await findTenant(db, DEV_TENANT)
  if (tenant === undefined) {
    const root = await findTenant(db, 'vn')
    tenant = await transaction(db, async (trx) => {
      const created = await createTenant(trx, root ?? null, { code: DEV_TENANT, name: 'Development' })
      await appendAudit(trx, { actor: null, action: 'tenant.create', tenant: 'vn', target: DEV_TENANT, details: { by: 'nentang dev' } })
      return created
    })
  }
  const devTenant: Tenant = tenant
  const install = (folder: string): void => {
    const mount = basename(folder).toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^[^a-z]+/, 'p')
    try {
      installFromFolder(plugins.table, plugins.supervisor, { tenant: devTenant, mount, folder })
      process.stderr.write(`  ${new Date().toLocaleTimeString()} loaded ${folder} at ${platform.url.replace('127.0.0.1', 'localhost')}/t/${DEV_TENANT}/${mount}/\n`)
    } catch (error) {
      process.stderr.write(`  ${new Date().toLocaleTimeString()} ${folder}: ${(error as Error).message}\n`)
    }
  }
  targets.forEach(install)
  const timers = new Map<string, NodeJS.Timeout>()
  // Not its own writes, nor what tools leave beside the code (dependencies, dotfiles, packed .tgz).
  const ignored = (path: string): boolean => {
    if (path === dataDir || path.startsWith(`${dataDir}${sep}`)) return true
    const folder = targets.find((target) => path === target || path.startsWith(`${target}${sep}`))
    if (folder === undefined || folder === path) return false
    return relative(folder, path).split(sep).some((part) => part === 'node_modules' || part.startsWith('.')) || path.endsWith('.tgz')
  }
  const watcher = watch(targets, { ignoreInitial: true, ignored })
  watcher.on('all', (_event, path) => {
    const folder = targets.find((target) => path.startsWith(target))
    if (folder === undefined) return
    clearTimeout(timers.get(folder))
    timers.set(folder, setTimeout(() => install(folder), 50))
  })
  const url = platform.url.replace('127.0.0.1', 'localhost')
  process.stderr.write(`\n  nentang dev is listening on ${url}, watching ${targets.length} folder(s)\n` +
    `  its data: ${dataDir}\n` +
    `  sign in at ${url}/console/ as admin with ${existsSync(passwordFile) && readFileSync(passwordFile, 'utf8').trim() === config.adminPassword ? `the password ${config.adminPassword} (kept in ${passwordFile})` : 'the password you set (NENTANG_ADMIN_PASSWORD)'}\n\n`)
  return new Promise((resolve) => {
    const stop = (): void => {
      logger.info('shutting down')
      watcher.close().then(() => platform.close()).then(() => resolve(0), () => resolve(1))
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
}

/** Separates plugin folders from `--flag value` options (boolean flags take no value). */
function splitArgs (args: string[]): { folders: string[], flags: string[] } {
  const booleans = new Set(['--demo', '--trust-proxy'])
  const folders: string[] = []
  const flags: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('--')) folders.push(arg)
    else if (arg.includes('=') || booleans.has(arg) || i + 1 >= args.length) flags.push(arg)
    else flags.push(arg, args[++i]!)
  }
  return { folders, flags }
}

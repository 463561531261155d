import { basename, resolve } from 'node:path'
import { watch } from 'chokidar'
import { loadConfig } from '../../core/config.ts'
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
  const targets = (folders.length > 0 ? folders : config.devPlugins).map((folder) => resolve(folder))
  if (targets.length === 0) {
    console.error('nentang dev: name at least one plugin folder (or set NENTANG_DEV_PLUGINS)')
    return 2
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
  const watcher = watch(targets, { ignoreInitial: true, ignored: (path) => path.includes('node_modules') })
  watcher.on('all', (_event, path) => {
    const folder = targets.find((target) => path.startsWith(target))
    if (folder === undefined) return
    clearTimeout(timers.get(folder))
    timers.set(folder, setTimeout(() => install(folder), 50))
  })
  process.stderr.write(`\n  nentang dev is listening on ${platform.url.replace('127.0.0.1', 'localhost')}, watching ${targets.length} folder(s)\n\n`)
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

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type Router from '@koa/router'
import { loadSecretKey } from './auth/secret-key.ts'
import { createSignInThrottle } from './auth/sign-in-throttle.ts'
import { createTokenService } from './auth/tokens.ts'
import { headIsLegacy, useAuditKey } from './audit/audit-log.ts'
import { startCheckpoints } from './audit/checkpoints.ts'
import { bootstrap, type BootstrapResult } from './bootstrap.ts'
import type { Config } from './config.ts'
import { createDatabase, type Database } from './db/database.ts'
import { migrateToLatest } from './db/migrate.ts'
import { workerDatabaseUrl } from './db/worker-role.ts'
import { createLogger, type Logger } from './logger.ts'
import { clientErrorHandler } from './http/client-error.ts'
import { createHttpMetrics } from './metrics.ts'
import { createAccessLog } from './access-log.ts'
import { createRoutingTable } from './plugins/routing-table.ts'
import { startEventRetention } from '../sandbox/event-retention.ts'
import { createSupervisor } from '../sandbox/supervisor.ts'
import { registryRoutes } from '../registry/routes.ts'
import { reviewRoutes } from '../registry/review.ts'
import { createRegistrySigner } from '../registry/signing.ts'
import { createInstallationResolver } from '../registry/installation-resolver.ts'
import { createSecretBox } from './auth/secret-box.ts'
import { installationRoutes } from '../registry/installation-routes.ts'
import { publishFirstParty } from '../registry/first-party.ts'
import { createPluginRoleCatalog } from '../registry/plugin-roles.ts'
import { createChangeFeed, type ChangeFeed } from './events/change-feed.ts'
import { createPrincipalCache } from './auth/principal-cache.ts'
import { consoleRoutes } from '../console/routes.ts'
import { createApp, createRequestListener } from './server.ts'
import type { Services } from './services.ts'
import { drainServer } from './shutdown.ts'

export interface Platform {
  readonly services: Services
  readonly server: Server
  /** The core routes as mounted, for tests that check the OpenAPI document against them. */
  readonly router: Router
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly bootstrap: BootstrapResult
  /** Graceful stop: refuse new connections, drain in-flight requests (bounded), close the database. */
  close(): Promise<void>
}

export interface StartOptions {
  logger?: Logger
  /** Runs after migrations and bootstrap, before the node accepts requests (the demo seed uses it). */
  beforeListen?: (db: Database, changes: ChangeFeed) => Promise<void>
}

/** Starts a gateway node: database and migrations, first-start bootstrap, then HTTP. */
export async function startPlatform (config: Config, options: StartOptions = {}): Promise<Platform> {
  const logger = options.logger ?? createLogger(config.logLevel)
  const db = createDatabase(config.databaseUrl)
  let server: Server | undefined
  let changes: ChangeFeed | undefined
  let stopCheckpoints: (() => Promise<void>) | undefined
  let stopRetention: (() => Promise<void>) | undefined
  try {
    const applied = await migrateToLatest(db)
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated')
    changes = await createChangeFeed(db, config.databaseUrl, logger)
    const secret = loadSecretKey(config.secretKey, config.dataDir)
    const auditKey = useAuditKey(db, secret)
    const first = await bootstrap(db, changes, config.adminPassword)
    await options.beforeListen?.(db, changes)
    const table = createRoutingTable()
    const supervisor = createSupervisor({
      tenantWorkers: config.workers,
      firstPartyWorkers: 1,
      logger,
      env: workerEnvironment(config, await workerDatabaseUrl(db, config.databaseUrl, secret, logger)),
    })
    const signer = createRegistrySigner(secret)
    const secretBox = createSecretBox(secret)
    const firstParty = await publishFirstParty(db, signer, logger, new URL('../plugins/', import.meta.url).pathname)
    if (firstParty.length > 0) logger.info({ plugins: firstParty }, 'first-party plugins published')
    const resolver = createInstallationResolver({ db, table, supervisor, signer, secretBox, dataDir: config.dataDir, changes, logger })
    const services: Services = {
      config,
      db,
      logger,
      accessLog: createAccessLog(logger),
      tokens: createTokenService(secret, config.tokenTtlSeconds),
      throttle: createSignInThrottle(),
      metrics: createHttpMetrics(),
      changes,
      principals: createPrincipalCache(db, changes),
      roles: createPluginRoleCatalog(db),
      plugins: { table, supervisor, resolve: resolver.resolve },
      lifecycle: { ready: false, shuttingDown: false },
      auditKey,
    }
    const { app, router } = createApp(services, [...registryRoutes(services), ...reviewRoutes(services, signer), ...installationRoutes(services, resolver, secretBox), ...consoleRoutes()])
    stopRetention = startEventRetention(db, config.eventRetentionDays, logger)
    stopCheckpoints = await startCheckpoints({ db, key: auditKey, dataDir: config.dataDir, logger, isLegacyHead: () => headIsLegacy(db, auditKey) })
    // Node checks the header and request timeouts below only every `connectionsCheckingInterval`
    // (30 s by default), so a slow client could hold a socket for 30 s past them: check every second.
    const listening = createServer({ connectionsCheckingInterval: 1000 }, createRequestListener(services, app))
    server = listening
    listening.on('clientError', clientErrorHandler(logger))
    // Slow clients must not hold sockets forever; these bound header and idle time, not handler time.
    listening.headersTimeout = 20_000
    listening.requestTimeout = 60_000
    listening.keepAliveTimeout = 5_000
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject)
      listening.listen(config.port, config.host, () => {
        listening.off('error', reject)
        resolve()
      })
    })
    // The last resort: an exception nobody caught (a bug) is logged and the node goes on serving
    // every other request, instead of exiting and taking every tenant down with it.
    const lastResort = (error: unknown): void => logger.fatal({ err: error }, 'uncaught exception; the node goes on')
    process.on('uncaughtException', lastResort)
    process.on('unhandledRejection', lastResort)
    services.lifecycle.ready = true
    const { port } = listening.address() as AddressInfo
    const url = `http://127.0.0.1:${port}`
    logger.info({ port, database: db.dialect }, 'nentang listening')
    let closing: Promise<void> | undefined
    return {
      services,
      server: listening,
      router,
      url,
      bootstrap: first,
      close () {
        closing ??= (async () => {
          services.lifecycle.shuttingDown = true
          process.off('uncaughtException', lastResort)
          process.off('unhandledRejection', lastResort)
          const drained = await drainServer(listening, config.shutdownTimeoutMs)
          if (!drained) logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown: cut requests still in flight')
          resolver.close()
          await stopCheckpoints?.()
          await stopRetention?.()
          await services.plugins.supervisor.close()
          services.accessLog.close()
          await changes?.close()
          await db.close()
          logger.info('nentang stopped')
          await new Promise<void>((resolve) => logger.flush(() => resolve()))
        })()
        return closing
      },
    }
  } catch (error) {
    await stopRetention?.()
    await stopCheckpoints?.()
    server?.close()
    await changes?.close()
    await db.close()
    throw error
  }
}

/**
 * What a sandbox worker process is given of the gateway's environment: what Node and the worker
 * need, never the platform secret, the admin password or anything else it does not use.
 */
function workerEnvironment (config: Config, databaseUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'UV_THREADPOOL_SIZE'].includes(name) || name.startsWith('NENTANG_SANDBOX_')) env[name] = value
  }
  return { ...env, NENTANG_DATABASE_URL: databaseUrl, NENTANG_HTTP_ALLOW_PRIVATE: config.httpAllowPrivate.join(',') }
}

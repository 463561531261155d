import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type Router from '@koa/router'
import { loadSecretKey } from '../core/auth/secret-key.ts'
import { openPlatformSecret } from '../core/auth/platform-secret.ts'
import { createSignInThrottle } from '../core/auth/sign-in-throttle.ts'
import { createIdentity } from '../core/auth/identity.ts'
import { sweepInactiveAccounts } from '../core/auth/inactivity-sweep.ts'
import { createTokenService } from '../core/auth/tokens.ts'
import { headIsLegacy, useAuditKey } from '../core/audit/audit-log.ts'
import { startCheckpoints } from '../core/audit/checkpoints.ts'
import { archiveAudit } from '../core/audit/retention.ts'
import { bootstrap, type BootstrapResult } from '../core/bootstrap.ts'
import type { Config } from '../core/config.ts'
import { createDatabase, type Database } from '../core/db/database.ts'
import { migrateToLatest } from '../core/db/migrate.ts'
import { workerDatabaseUrl } from '../core/db/worker-role.ts'
import { createLogger, type Logger } from '../core/logger.ts'
import { clientErrorHandler } from '../core/http/client-error.ts'
import { createHttpMetrics } from '../core/metrics.ts'
import { createAccessLog } from '../core/access-log.ts'
import { createRoutingTable } from '../registry/routing-table.ts'
import { sweepEvents } from '../sandbox/event-retention.ts'
import { workerSettings } from '../sandbox/protocol.ts'
import { createSupervisor } from '../sandbox/supervisor.ts'
import { registryRoutes } from '../registry/routes.ts'
import { reviewRoutes } from '../registry/review.ts'
import { createRegistrySigner } from '../registry/signing.ts'
import { createInstallationResolver } from '../registry/installation-resolver.ts'
import { createSecretBox } from '../core/auth/secret-box.ts'
import { installationRoutes } from '../registry/installation-routes.ts'
import { createExchange, type Exchange } from './exchange/exchange-call.ts'
import { exchangeRoutes } from './exchange/routes.ts'
import { catalogueRoutes } from './exchange/catalogue.ts'
import { installAtFirstStart, publishFirstParty } from '../registry/first-party.ts'
import { createPluginRoleCatalog } from '../registry/plugin-roles.ts'
import { createChangeFeed, type ChangeFeed } from '../core/events/change-feed.ts'
import { createPrincipalCache } from '../core/auth/principal-cache.ts'
import { consoleRoutes } from '../console/routes.ts'
import { createApp, PLATFORM_VERSION } from '../core/server.ts'
import { createCloseStack } from './close-stack.ts'
import { createGatewayCalls } from './gateway-calls.ts'
import { createFileLinks } from '../core/files/file-links.ts'
import { createExports } from './exports.ts'
import { startClusterJobs } from './cluster-jobs.ts'
import { sweepUploads } from './file-sweep.ts'
import { startEventDelivery } from './event-delivery.ts'
import { startTimers } from './timers.ts'
import { createRequestListener } from './listener.ts'
import { registerSandboxMetrics } from './sandbox-metrics.ts'
import { platformStatusRoutes } from './platform-status.ts'
import type { PlatformServices } from './services.ts'
import { drainServer } from '../core/shutdown.ts'

export interface Platform {
  readonly services: PlatformServices
  readonly server: Server
  /** The core routes as mounted, for tests that check the OpenAPI document against them. */
  readonly router: Router
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly bootstrap: BootstrapResult
  /** Calls to other systems: its endpoints (the demo sets one), log and circuits. */
  readonly exchange: Exchange
  /** Graceful stop: refuse new connections, drain in-flight requests (bounded), close the database. */
  close(): Promise<void>
}

export interface StartOptions {
  logger?: Logger
  /** Runs after migrations and bootstrap, before the node accepts requests (the demo seed uses it). */
  beforeListen?: (db: Database, changes: ChangeFeed) => Promise<void>
}

const HOUR_MS = 3600_000

/** Starts a gateway node: database and migrations, first-start bootstrap, then HTTP. */
export async function startPlatform (config: Config, options: StartOptions = {}): Promise<Platform> {
  const logger = options.logger ?? createLogger(config.logLevel)
  const parts = createCloseStack(logger)
  // This node among the cluster's: who took a scheduled job, in `scheduled_jobs` and the logs.
  const node = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  try {
    const db = createDatabase(config.databaseUrl)
    parts.push('database', () => db.close())
    const applied = await migrateToLatest(db)
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated')
    const accessLog = createAccessLog(logger)
    parts.push('access log', () => accessLog.close())
    const metrics = createHttpMetrics()
    const changes = await createChangeFeed(db, config.databaseUrl, logger, (seconds) => metrics.changeHeard(seconds))
    parts.push('change feed', () => changes.close())
    const secret = await openPlatformSecret(db, loadSecretKey(config.secretKey, config.dataDir))
    const auditKey = useAuditKey(db, secret)
    const first = await bootstrap(db, changes, config.adminPassword)
    await options.beforeListen?.(db, changes)
    const table = createRoutingTable()
    const fileLinks = createFileLinks(secret)
    const secretBox = createSecretBox(secret)
    const exchange = createExchange({ db, box: secretBox, changes, secret, logger, registry: metrics.registry })
    parts.push('exchange connections', () => exchange.close())
    const supervisor = createSupervisor({
      tenantWorkers: config.workers,
      // Long queries no longer block a worker's thread (query threads, statement_timeout): first-party plugins,
      // which every unit uses, are spread over two workers instead of sharing one.
      firstPartyWorkers: 2,
      logger,
      env: workerEnvironment(),
      settings: workerSettings(config, await workerDatabaseUrl(db, config.databaseUrl, secret, logger)),
      answer: createGatewayCalls({ db, fileLinks, secretBox, exports: createExports({ db, logger }), exchange }),
    })
    parts.push('sandbox supervisor', () => supervisor.close())
    registerSandboxMetrics(metrics.registry, supervisor)
    const signer = createRegistrySigner(secret)
    const firstParty = await publishFirstParty(db, signer, logger, new URL('../plugins/', import.meta.url).pathname)
    if (firstParty.length > 0) logger.info({ plugins: firstParty }, 'first-party plugins published')
    if (first.created) await installAtFirstStart(db, changes)
    const resolver = createInstallationResolver({ db, table, supervisor, signer, secretBox, dataDir: config.dataDir, changes, logger })
    parts.push('installation resolver', () => resolver.close())
    const tokens = createTokenService(secret, config.tokenTtlSeconds)
    const services: PlatformServices = {
      config,
      db,
      logger,
      accessLog,
      tokens,
      identity: createIdentity({
        db,
        tokens,
        changes,
        box: secretBox,
        secret,
        sessionTtlSeconds: config.sessionTtlSeconds,
        allowPrivate: config.httpAllowPrivate,
        mfaRoles: config.mfaRoles,
      }),
      throttle: createSignInThrottle(),
      metrics,
      changes,
      principals: createPrincipalCache(db, changes),
      roles: createPluginRoleCatalog(db),
      plugins: { table, supervisor, resolve: resolver.resolve },
      lifecycle: { ready: false, shuttingDown: false },
      auditKey,
      fileLinks,
      secretBox,
    }
    await services.identity.factorPolicy.refresh()
    parts.push('factor policy', () => services.identity.factorPolicy.close())
    const { app, router, exact } = createApp(services, [
      ...platformStatusRoutes(services, PLATFORM_VERSION, exchange),
      ...registryRoutes(services, supervisor),
      ...reviewRoutes(services, signer),
      ...installationRoutes(services, resolver, secretBox),
      ...exchangeRoutes(services, exchange),
      ...catalogueRoutes(services),
      ...consoleRoutes(config.pagesOrigin),
    ])
    parts.push('plugin timers', startTimers({ db, logger, node, supervisor, resolve: resolver.resolve }))
    parts.push('event delivery', startEventDelivery({ db, logger }))
    parts.push('scheduled jobs', await startClusterJobs({ db, logger, node, metrics }, [
      { name: 'event-retention', everyMs: HOUR_MS, run: async () => { await sweepEvents(db, config.eventRetentionDays, logger) } },
      { name: 'file-sweep', everyMs: 60_000, run: () => sweepUploads(db, logger) },
      {
        name: 'session-sweep',
        everyMs: HOUR_MS,
        run: async () => {
          await services.identity.sessions.sweep()
          await services.identity.tickets.sweep()
          await services.identity.oidc.sweep()
        },
      },
      { name: 'inactive-accounts', everyMs: 24 * HOUR_MS, run: async () => { await sweepInactiveAccounts(services) } },
      {
        name: 'audit-retention',
        everyMs: 6 * HOUR_MS,
        run: async () => {
          const archived = await archiveAudit({ db, key: auditKey, dataDir: config.dataDir, days: config.auditRetentionDays })
          if (archived > 0) logger.info({ archived, days: config.auditRetentionDays }, 'audit entries past their retention archived')
        },
      },
    ]))
    parts.push('audit checkpoints', await startCheckpoints({ db, key: auditKey, dataDir: config.dataDir, logger, isLegacyHead: () => headIsLegacy(db, auditKey) }))
    // Node checks the header and request timeouts below only every `connectionsCheckingInterval`
    // (30 s by default), so a slow client could hold a socket for 30 s past them: check every second.
    const server = createServer({ connectionsCheckingInterval: 1000 }, createRequestListener(services, app, exact))
    parts.push('http server', async () => {
      const drained = await drainServer(server, config.shutdownTimeoutMs)
      if (!drained) logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown: cut requests still in flight')
    })
    server.on('clientError', clientErrorHandler(logger))
    // Slow clients must not hold sockets forever; these bound header and idle time, not handler time.
    server.headersTimeout = 20_000
    server.requestTimeout = 60_000
    server.keepAliveTimeout = 5_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.port, config.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    // The last resort: an exception nobody caught (a bug) is logged and the node goes on serving
    // every other request, instead of exiting and taking every tenant down with it.
    const lastResort = (error: unknown): void => logger.fatal({ err: error }, 'uncaught exception; the node goes on')
    process.on('uncaughtException', lastResort)
    process.on('unhandledRejection', lastResort)
    parts.push('last-resort handler', () => {
      process.off('uncaughtException', lastResort)
      process.off('unhandledRejection', lastResort)
    })
    services.lifecycle.ready = true
    const { port } = server.address() as AddressInfo
    const url = `http://127.0.0.1:${port}`
    logger.info({ port, database: db.dialect, node }, 'nentang listening')
    let closing: Promise<void> | undefined
    return {
      services,
      server,
      router,
      url,
      bootstrap: first,
      exchange,
      close () {
        closing ??= (async () => {
          services.lifecycle.shuttingDown = true
          // /readyz answers 503 from now on; a balancer that polls it stops sending here before the listener closes.
          if (config.drainMs > 0) {
            logger.info({ drainMs: config.drainMs }, 'draining: /readyz answers 503, requests still served')
            await new Promise((resolve) => setTimeout(resolve, config.drainMs))
          }
          await parts.unwind()
          logger.info('nentang stopped')
          await new Promise<void>((resolve) => logger.flush(() => resolve()))
        })()
        return closing
      },
    }
  } catch (error) {
    await parts.unwind()
    throw error
  }
}

/**
 * What a sandbox worker process is given of the gateway's environment: what Node needs, never the
 * platform secret, the admin password or any other setting (those travel as its first message).
 */
function workerEnvironment (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'UV_THREADPOOL_SIZE']) {
    if (process.env[name] !== undefined) env[name] = process.env[name]
  }
  return env
}

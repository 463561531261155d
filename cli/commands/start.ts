import { loadConfig } from '../../core/config.ts'
import { startPlatform } from '../../platform/start.ts'
import { seedDemoExchange, startDemoSimulator, type DemoSimulator } from '../demo/demo-exchange.ts'
import { seedDemoPki } from '../demo/demo-pki.ts'
import { seedDemoTenants, type DemoCredential } from '../demo/demo-tenants.ts'

/** `nentang start`: runs a gateway node until SIGTERM or SIGINT, then shuts down gracefully and exits 0. */
export async function startCommand (args: string[]): Promise<number> {
  const config = loadConfig(args)
  let credentials: DemoCredential[] = []
  let pki: string | undefined
  const platform = await startPlatform(config, {
    beforeListen: async (db, changes) => {
      if (config.demo) credentials = await seedDemoTenants(db, changes)
      if (credentials.length > 0) pki = await seedDemoPki(db, config.dataDir, credentials)
    },
  })
  const { logger } = platform.services
  // With the demo, a local LGSP and national portal to connect to (docs/exchange.md), stopped with the node.
  let sim: DemoSimulator | undefined
  if (config.demo) {
    sim = await startDemoSimulator()
    if (sim !== undefined) await seedDemoExchange(platform.services.db, platform.services.changes, platform.exchange.endpoints, sim)
  }
  if (platform.bootstrap.generatedAdminPassword !== undefined) {
    // Shown once, on the terminal, never in the JSON log.
    process.stderr.write([
      '',
      '  First start: created tenant "vn" and user "admin" (platform-admin, tenant-admin).',
      `  admin password: ${platform.bootstrap.generatedAdminPassword}`,
      '  It is not shown again. Set NENTANG_ADMIN_PASSWORD before the first start to choose it.',
      '',
    ].join('\n'))
  }
  if (credentials.length > 0) {
    process.stderr.write(['', '  Demo tenants created. Demo users (shown once):',
      ...credentials.map((c) => `    ${c.username.padEnd(16)} ${c.password}  ${c.role} at ${c.tenant}`),
      ...(pki === undefined ? [] : [`  Their signing certificates: ${pki}/<username>.p12 (password: the user's own), trusted at vn.`]), ''].join('\n'))
  }
  const url = platform.url.replace('127.0.0.1', 'localhost')
  process.stderr.write(`\n  nentang is listening on ${url}  (Ctrl-C stops it)\n  console: ${url}/console/   API reference: ${url}/api/docs\n\n`)
  if (sim !== undefined) {
    process.stderr.write(`  LGSP simulator: ${sim.url} (portal: ${sim.url}/portal, mutual TLS: ${sim.mtlsUrl}); Hà Nội's portal sync is connected to it.\n\n`)
  }
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down')
      platform.close().then(() => sim?.stop()).then(() => resolve(0), (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        resolve(1)
      })
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
}

import { loadConfig } from '../../core/config.ts'
import { createDatabase } from '../../core/db/database.ts'
import { migrateToLatest } from '../../core/db/migrate.ts'
import { useAuditKey } from '../../core/audit/audit-log.ts'
import { loadSecretKey } from '../../core/auth/secret-key.ts'
import { openPlatformSecret } from '../../core/auth/platform-secret.ts'
import { bootstrap } from '../../core/bootstrap.ts'
import { createChangeFeed } from '../../core/events/change-feed.ts'
import { createLogger } from '../../core/logger.ts'
import { seedDemoPki } from '../demo/demo-pki.ts'
import { seedDemoTenants, seedNationalTree } from '../demo/demo-tenants.ts'
import { parseArgs } from '../args.ts'
import { installAtFirstStart, publishFirstParty } from '../../registry/first-party.ts'
import { createRegistrySigner } from '../../registry/signing.ts'

/**
 * `nentang demo`: prepares a database for a demonstration and exits: migrations, the first-start
 * bootstrap, the demo tenants and users (their passwords printed once) with a signing certificate each (a demo
 * authority trusted at `vn`, PKCS#12 files under the data folder), and with `--national` every
 * province and commune of Vietnam as a tenant.
 */
export async function demoCommand (args: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(args, ['national', 'demo', 'trust-proxy'])
  if (positionals.length > 0) {
    console.error(`nentang demo: unexpected argument '${positionals[0]}'`)
    return 2
  }
  const config = loadConfig(args.filter((arg) => arg !== '--national'))
  const logger = createLogger('warn')
  const db = createDatabase(config.databaseUrl)
  const changes = await createChangeFeed(db, config.databaseUrl, logger)
  try {
    process.stderr.write(`preparing ${db.dialect} database…\n`)
    const applied = await migrateToLatest(db)
    if (applied.length > 0) process.stderr.write(`  applied ${applied.length} migration(s)\n`)
    const secret = await openPlatformSecret(db, loadSecretKey(config.secretKey, config.dataDir))
    useAuditKey(db, secret)
    const first = await bootstrap(db, changes, config.adminPassword)
    // A platform first made here gets what a first start installs (the procedures every unit inherits): `nentang
    // start` on this database later is not its first start.
    if (first.created) {
      await publishFirstParty(db, createRegistrySigner(secret), logger, new URL('../../plugins/', import.meta.url).pathname)
      await installAtFirstStart(db, changes)
    }
    if (first.generatedAdminPassword !== undefined) console.log(`admin password (shown once): ${first.generatedAdminPassword}`)
    const credentials = await seedDemoTenants(db, changes)
    if (credentials.length === 0) console.log('demo tenants already exist; their passwords were shown when they were created')
    else {
      console.log('demo users (passwords shown once):')
      for (const c of credentials) console.log(`  ${c.username.padEnd(16)} ${c.password}  ${c.role} at ${c.tenant}`)
      const pki = await seedDemoPki(db, config.dataDir, credentials)
      if (pki !== undefined) console.log(`demo signing certificates: ${pki}/<username>.p12 (password: the user's own), trusted through ${pki}/ca.pem at vn`)
    }
    if (flags.has('national')) {
      const created = await seedNationalTree(db, (done, total) => {
        process.stderr.write(`\r  national tree: ${done}/${total} units`)
      })
      process.stderr.write('\n')
      console.log(`national tree: ${created} tenant(s) created`)
    }
    return 0
  } finally {
    await changes.close()
    await db.close()
  }
}

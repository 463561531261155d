import { appendAudit, useAuditKey } from '../../core/audit/audit-log.ts'
import { rotateMasterKey } from '../../core/auth/platform-secret.ts'
import { loadSecretKey } from '../../core/auth/secret-key.ts'
import { loadConfig } from '../../core/config.ts'
import { createDatabase, transaction } from '../../core/db/database.ts'
import { migrateToLatest } from '../../core/db/migrate.ts'

/**
 * `nentang rotate-secret`: wraps the platform secret with NENTANG_NEW_SECRET_KEY instead of the current
 * NENTANG_SECRET_KEY, and exits. Tokens, refresh tokens, sealed secrets, the audit chain and registry signatures stay
 * valid: nobody is signed out. Running nodes go on with what they opened; restart them with the new key one at a time.
 * The new key comes from the environment only (never a flag: command lines are visible to every user of the machine).
 */
export async function rotateSecretCommand (args: string[]): Promise<number> {
  const config = loadConfig(args)
  const next = process.env.NENTANG_NEW_SECRET_KEY
  if (next === undefined || next.length < 32) {
    console.error('nentang rotate-secret: set NENTANG_NEW_SECRET_KEY to the new key (at least 32 characters; `openssl rand -hex 32`)')
    return 2
  }
  const current = loadSecretKey(config.secretKey, config.dataDir)
  if (next === current) {
    console.error('nentang rotate-secret: NENTANG_NEW_SECRET_KEY is the current key')
    return 2
  }
  const db = createDatabase(config.databaseUrl)
  try {
    await migrateToLatest(db)
    const secret = await rotateMasterKey(db, current, next)
    useAuditKey(db, secret)
    await transaction(db, (trx) => appendAudit(trx, { actor: null, action: 'platform.secret-rotated', tenant: null, target: null, details: {} }))
    console.log('nentang rotate-secret: the platform secret is wrapped with the new key. Restart each node with NENTANG_SECRET_KEY set to it ' +
      '(nodes still running keep working); the old key opens nothing from now on.')
    return 0
  } finally {
    await db.close()
  }
}

import { useAuditKey } from '../../core/audit/audit-log.ts'
import { verifyAuditChain } from '../../core/audit/verify.ts'
import { loadSecretKey } from '../../core/auth/secret-key.ts'
import { openPlatformSecret } from '../../core/auth/platform-secret.ts'
import { loadConfig } from '../../core/config.ts'
import { createDatabase } from '../../core/db/database.ts'

/**
 * `nentang audit verify`: exits 0 when the whole chain verifies with the platform's key and reaches
 * its newest checkpoint (in the data folder), 1 naming the first broken entry.
 */
export async function auditVerifyCommand (args: string[]): Promise<number> {
  const config = loadConfig(args)
  const db = createDatabase(config.databaseUrl)
  try {
    const key = useAuditKey(db, await openPlatformSecret(db, loadSecretKey(config.secretKey, config.dataDir), { readOnly: true }))
    const result = await verifyAuditChain(db, key, config.dataDir)
    if (result.ok) {
      console.log(`audit log verified: ${result.entries} entries, head ${result.head}, ${result.checkpoint === 0 ? 'no checkpoint yet' : `reaches its checkpoint at entry ${result.checkpoint}`}`)
      return 0
    }
    console.error(`audit log BROKEN at entry ${result.seq}: ${result.reason}`)
    return 1
  } finally {
    await db.close()
  }
}

import { verifyAudit } from '../../core/audit/audit-log.ts'
import { loadConfig } from '../../core/config.ts'
import { createDatabase } from '../../core/db/database.ts'

/** `nentang audit verify`: exits 0 when the whole chain verifies, 1 naming the first broken entry. */
export async function auditVerifyCommand (args: string[]): Promise<number> {
  const config = loadConfig(args)
  const db = createDatabase(config.databaseUrl)
  try {
    const result = await verifyAudit(db)
    if (result.ok) {
      console.log(`audit log verified: ${result.entries} entries, head ${result.head}`)
      return 0
    }
    console.error(`audit log BROKEN at entry ${result.seq}: ${result.reason}`)
    return 1
  } finally {
    await db.close()
  }
}

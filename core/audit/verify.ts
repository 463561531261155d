import type { Database } from '../db/database.ts'
import { verifyAudit, type VerifyResult } from './audit-log.ts'
import { readCheckpoints } from './checkpoints.ts'

/**
 * The whole check behind `nentang audit verify` and the console's audit page: the chain with its
 * key, against the checkpoints kept in `dataDir`. A checkpoint line whose signature fails is itself
 * a finding (someone wrote to the file without the key).
 */
export async function verifyAuditChain (db: Database, key: Uint8Array, dataDir: string): Promise<VerifyResult> {
  const { checkpoints, bad } = readCheckpoints(dataDir, key)
  const result = await verifyAudit(db, { key, checkpoints })
  if (result.ok && bad.length > 0) return { ok: false, entries: result.entries, seq: 0, reason: `the checkpoint file has lines whose signature does not hold: ${bad.slice(0, 10).join(', ')}` }
  return result
}

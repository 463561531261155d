import type { Database } from '../db/database.ts'
import { verifyAudit, type VerifyResult } from './audit-log.ts'
import { readCheckpoints } from './checkpoints.ts'
import { newestCut, verifyArchives } from './retention.ts'

/**
 * The whole check behind `nentang audit verify` and the console's audit page: the chain with its
 * key, against the checkpoints kept in `dataDir`. A checkpoint line whose signature fails is itself
 * a finding (someone wrote to the file without the key).
 */
export async function verifyAuditChain (db: Database, key: Uint8Array, dataDir: string): Promise<VerifyResult> {
  const { checkpoints, bad } = readCheckpoints(dataDir, key)
  const cut = await newestCut(db, key)
  if (cut === 'forged') return { ok: false, entries: 0, seq: 0, reason: "the newest archive cut's signature does not hold: someone wrote it without the key" }
  const archives = await verifyArchives(db, key, dataDir)
  if (!archives.ok) return { ok: false, entries: archives.entries, seq: archives.seq, reason: archives.reason }
  const from = cut === undefined ? undefined : { seq: cut.toSeq, hash: cut.lastHash }
  const result = await verifyAudit(db, { key, checkpoints, ...(from === undefined ? {} : { from }) })
  if (result.ok && bad.length > 0) return { ok: false, entries: result.entries, seq: 0, reason: `the checkpoint file has lines whose signature does not hold: ${bad.slice(0, 10).join(', ')}` }
  return result.ok ? { ...result, entries: result.entries + archives.entries } : result
}

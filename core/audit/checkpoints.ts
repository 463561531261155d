import { createHmac, timingSafeEqual } from 'node:crypto'
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Database } from '../db/database.ts'
import type { Logger } from '../logger.ts'

/**
 * The audit chain's head as it was at a moment, signed with the chain's key and kept outside the
 * database: a line in `<dataDir>/audit-checkpoints.jsonl` and one in the JSON log (for the SIEM).
 * `audit verify` checks that the chain still reaches the newest one with the same hash.
 */
export interface Checkpoint {
  seq: number
  hash: string
  at: string
  /** Entries up to `seq` were written before the chain had a key (their hashes are plain SHA-256). */
  legacy?: boolean
  mac: string
}

export const CHECKPOINT_FILE = 'audit-checkpoints.jsonl'
/** How often a node writes a checkpoint when the chain has grown. */
const EVERY_MS = 1000

function mac (key: Uint8Array, checkpoint: Omit<Checkpoint, 'mac'>): string {
  return createHmac('sha256', key).update(`${checkpoint.seq}\n${checkpoint.hash}\n${checkpoint.at}\n${checkpoint.legacy === true ? 'legacy' : ''}`).digest('hex')
}

/**
 * Reads the checkpoint file: the checkpoints whose signature holds, and the line numbers of those
 * that do not (a forged or damaged line is reported, never trusted). A missing file is no checkpoint.
 */
export function readCheckpoints (dataDir: string, key: Uint8Array): { checkpoints: Checkpoint[], bad: number[] } {
  let text: string
  try {
    text = readFileSync(join(dataDir, CHECKPOINT_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: [], bad: [] }
    throw error
  }
  const checkpoints: Checkpoint[] = []
  const bad: number[] = []
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return
    try {
      const value = JSON.parse(line) as Checkpoint
      const expected = Buffer.from(mac(key, { seq: value.seq, hash: value.hash, at: value.at, ...(value.legacy === true ? { legacy: true } : {}) }), 'hex')
      const given = Buffer.from(String(value.mac), 'hex')
      if (Number.isSafeInteger(value.seq) && given.length === expected.length && timingSafeEqual(given, expected)) checkpoints.push(value)
      else bad.push(index + 1)
    } catch {
      bad.push(index + 1)
    }
  })
  return { checkpoints, bad }
}

/**
 * Writes a checkpoint at start (marking the unkeyed entries of an older chain as legacy, once), then
 * every second while the chain grows, and at close. Returns the function that stops it.
 */
export async function startCheckpoints (options: {
  db: Database,
  key: Uint8Array,
  dataDir: string,
  logger: Logger,
  isLegacyHead(head: { seq: number, hash: string }): Promise<boolean>,
}): Promise<() => Promise<void>> {
  const { db, key, dataDir, logger } = options
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, CHECKPOINT_FILE)
  let last = 0
  const head = async (): Promise<{ seq: number, hash: string } | undefined> => {
    const row = await db.knex('audit_log').select('seq', 'hash').orderBy('seq', 'desc').first()
    return row === undefined ? undefined : { seq: Number(row.seq), hash: String(row.hash) }
  }
  const write = (checkpoint: Omit<Checkpoint, 'mac'>): void => {
    const signed: Checkpoint = { ...checkpoint, mac: mac(key, checkpoint) }
    appendFileSync(file, JSON.stringify(signed) + '\n', { mode: 0o600 })
    logger.info({ auditCheckpoint: signed }, 'audit checkpoint')
    last = checkpoint.seq
  }
  const current = await head()
  if (current !== undefined) {
    const known = readCheckpoints(dataDir, key).checkpoints
    const legacy = known.length === 0 && await options.isLegacyHead(current)
    write({ ...current, at: new Date().toISOString(), ...(legacy ? { legacy: true } : {}) })
  }
  let busy = false
  const tick = async (): Promise<void> => {
    if (busy) return
    busy = true
    try {
      const now = await head()
      if (now !== undefined && now.seq > last) write({ ...now, at: new Date().toISOString() })
    } catch (error) {
      logger.error({ err: error }, 'audit checkpoint failed')
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => { void tick() }, EVERY_MS)
  timer.unref()
  return async () => {
    clearInterval(timer)
    await tick()
  }
}

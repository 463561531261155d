import { createTwoFilesPatch } from 'diff'
import type { Database } from '../core/db/database.ts'
import { readPackage } from './package-reader.ts'

/** What a reviewer reads of one file: its text (when it is text and not too large), and how it changed. */
export interface ReviewFile {
  path: string
  size: number
  status: 'added' | 'changed' | 'same'
  /** UTF-8 text, or null for bytes that are not text or a file over `TEXT_MAX`. */
  text: string | null
  /** A unified diff against the previous approved version's file, when changed and both are text. */
  patch: string | null
}

export interface ReviewFiles { previous: string | null, files: ReviewFile[], removed: string[] }

/** Files shown as text up to this size; a diff up to this many characters. */
const TEXT_MAX = 256 * 1024
const PATCH_MAX = 256 * 1024

const asText = (bytes: Buffer | undefined): string | null => {
  if (bytes === undefined || bytes.length > TEXT_MAX || bytes.includes(0)) return null
  const text = bytes.toString('utf8')
  return Buffer.from(text, 'utf8').equals(bytes) ? text : null
}

async function filesOf (db: Database, digest: string): Promise<Map<string, Buffer>> {
  const blob = await db.knex('registry_blobs').where({ sha256: digest }).first('bytes')
  if (blob === undefined) return new Map()
  return (await readPackage(Buffer.from(blob.bytes as Uint8Array))).files
}

/**
 * A version's files as its reviewer reads them, each beside the newest approved version of the same package other
 * than itself: added, changed (with a unified diff) or the same; and the paths that version had and this one does not.
 */
export async function reviewFiles (db: Database, name: string, version: { id: number, version: string, sha256: string }): Promise<ReviewFiles> {
  const before = await db.knex('registry_versions').where({ name, status: 'approved' }).whereNot({ id: version.id }).orderBy('id', 'desc').first('version', 'sha256')
  const files = await filesOf(db, version.sha256)
  const old = before === undefined ? new Map<string, Buffer>() : await filesOf(db, String(before.sha256))
  const listed: ReviewFile[] = [...files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([path, bytes]) => {
    const previous = old.get(path)
    const text = asText(bytes)
    const status = previous === undefined ? 'added' : previous.equals(bytes) ? 'same' : 'changed'
    const oldText = asText(previous)
    let patch: string | null = null
    if (status === 'changed' && text !== null && oldText !== null) {
      patch = createTwoFilesPatch(path, path, oldText, text, String(before!.version), version.version, { context: 3 })
      if (patch.length > PATCH_MAX) patch = null
    }
    return { path, size: bytes.length, status, text, patch }
  })
  return { previous: before === undefined ? null : String(before.version), files: listed, removed: [...old.keys()].filter((path) => !files.has(path)).sort() }
}

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import tarStream from 'tar-stream'
import { appendAudit } from '../core/audit/audit-log.ts'
import { isUniqueViolation, transaction, type Database } from '../core/db/database.ts'
import type { Logger } from '../core/logger.ts'
import { handlersOf, runChecks } from './checks.ts'
import { createDeclaredIndexes } from './indexes.ts'
import { readPackage } from './package-reader.ts'
import { sha256, storeBlob } from './package-store.ts'
import type { RegistrySigner } from './signing.ts'
import { insertVersion, recordedDigest } from './versions.ts'

export const FIRST_PARTY_PUBLISHER = 'platform'

function filesOf (folder: string): string[] {
  return readdirSync(folder).sort().flatMap((entry) => {
    const path = join(folder, entry)
    return statSync(path).isDirectory() ? filesOf(path) : [path]
  })
}

/** Packs a plugin folder as a `.tgz`, deterministically (sorted entries, fixed times), so its SHA-256 is stable. */
export async function packFolder (folder: string): Promise<Buffer> {
  const pack = tarStream.pack()
  const chunks: Buffer[] = []
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer))
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()))
  for (const file of filesOf(folder)) pack.entry({ name: relative(folder, file), mtime: new Date(0), mode: 0o644 }, readFileSync(file))
  pack.finalize()
  await ended
  return gzipSync(Buffer.concat(chunks))
}

/**
 * The first-party plugins under `plugins/`, published and approved at start by the platform itself
 * (they are reviewed as code of this repository), so a fresh platform has them. A version already
 * in the registry is left alone; one whose bytes differ from the registry's is reported, not replaced.
 */
export async function publishFirstParty (db: Database, signer: RegistrySigner, logger: Logger, root: string): Promise<string[]> {
  if (!existsSync(root)) return []
  const published: string[] = []
  for (const entry of readdirSync(root).sort()) {
    const folder = join(root, entry)
    if (!existsSync(join(folder, 'plugin.json'))) continue
    const bytes = await packFolder(folder)
    const { manifest } = await readPackage(bytes)
    const digest = sha256(bytes)
    const recorded = await recordedDigest(db, manifest.name, manifest.version)
    await createDeclaredIndexes(db, manifest, logger)
    if (recorded !== undefined) {
      if (recorded !== digest) logger.warn({ plugin: manifest.name, version: manifest.version }, 'first-party plugin changed without a new version; the registered bytes stay')
      continue
    }
    const now = new Date().toISOString()
    const checks = runChecks(manifest, { loaded: true, missing: [] }, undefined).map((check) => check.id === 'handlers' ? { ...check, message: `first-party: ${handlersOf(manifest).length} handler(s), checked by the repository's tests` } : check)
    await transaction(db, async (trx) => {
      await storeBlob(trx, digest, bytes)
      await insertVersion(trx, {
        name: manifest.name,
        scope: manifest.name.slice(1).split('/')[0],
        version: manifest.version,
        sha256: digest,
        status: 'approved',
        manifest: JSON.stringify(manifest),
        checks: JSON.stringify(checks),
        publisher: FIRST_PARTY_PUBLISHER,
        published_at: now,
        reviewer: FIRST_PARTY_PUBLISHER,
        reviewed_at: now,
        review_comment: 'first-party plugin, published at bootstrap',
        signature: signer.sign(manifest.name, manifest.version, digest),
      })
      await appendAudit(trx, { actor: null, action: 'registry.first-party', tenant: 'vn', target: `${manifest.name}@${manifest.version}`, details: { sha256: digest } })
    }).catch((error: unknown) => {
      // Another node published it at the same moment: the unique (name, version) decides.
      if (!isUniqueViolation(error)) throw error
    })
    published.push(`${manifest.name}@${manifest.version}`)
  }
  return published
}

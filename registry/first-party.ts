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
import { INSTALLATIONS_CHANGED, saveInstallation } from './installations.ts'
import type { ChangeFeed } from '../core/events/change-feed.ts'

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

/** What a new platform has installed at its root, for every unit below (SPEC §10): the procedures. */
export const FIRST_START_INSTALLS = [{ mount: 'procedures', package: '@vn/procedures', version: '1.0.0' }] as const

/**
 * On the platform's first start only (an administrator may uninstall them later, and they stay uninstalled):
 * installs the first-party plugins every unit gets, at the root tenant, inherited by every unit below it.
 */
export async function installAtFirstStart (db: Database, changes: ChangeFeed): Promise<void> {
  await transaction(db, async (trx) => {
    const root = await trx('tenants').whereNull('parent_id').first('id', 'code', 'path')
    if (root === undefined) return
    for (const install of FIRST_START_INSTALLS) {
      const approved = await trx('registry_versions').where({ name: install.package, version: install.version, status: 'approved' }).first('id')
      if (approved === undefined) continue
      const { previous } = await saveInstallation(trx, {
        tenant_id: Number(root.id),
        mount: install.mount,
        name: install.package,
        version: install.version,
        settings: '{}',
        inherit: true,
        updated_at: new Date().toISOString(),
        updated_by: FIRST_PARTY_PUBLISHER,
      })
      if (previous !== undefined) continue
      await appendAudit(trx, { actor: null, action: 'plugin.install', tenant: String(root.code), target: install.mount, details: { package: install.package, version: install.version, from: null, inherit: true } })
      await changes.publish(trx, INSTALLATIONS_CHANGED, { tenantPath: String(root.path), mount: install.mount, node: changes.name })
    }
  })
}

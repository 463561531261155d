import { createHash } from 'node:crypto'
import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Knex } from 'knex'
import type { PluginPackage } from './package-reader.ts'

export function sha256 (bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Stores package bytes once, under their SHA-256. */
export async function storeBlob (trx: Knex.Transaction, digest: string, bytes: Buffer): Promise<void> {
  if (await trx('registry_blobs').where({ sha256: digest }).first('sha256') !== undefined) return
  await trx('registry_blobs').insert({ sha256: digest, bytes, size: bytes.length, created_at: new Date().toISOString() })
}

/**
 * Unpacks a package into `<dataDir>/packages/<sha256>/`, the folder sandbox workers load from.
 * Written to a temporary folder and renamed, so a folder that exists is complete.
 */
export function unpackPackage (dataDir: string, digest: string, pkg: PluginPackage): string {
  const target = join(dataDir, 'packages', digest)
  if (existsSync(target)) return target
  const staging = `${target}.${process.pid}.${Date.now()}`
  for (const [path, bytes] of pkg.files) {
    const file = join(staging, path)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, bytes)
  }
  mkdirSync(staging, { recursive: true })
  try {
    renameSync(staging, target)
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    if (!existsSync(target)) throw error
  }
  return target
}

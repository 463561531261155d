import { createHash, randomUUID } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Knex } from 'knex'
import { RegistryError } from './errors.ts'
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
 * Unpacks an approved package into `<dataDir>/packages/<sha256>/`, the folder sandbox workers load
 * from. Written to a temporary folder and renamed, so a folder that exists is complete; a folder
 * that exists is compared with the package (verified against its hash and signature by the
 * caller) file by file and written afresh if anything on disk differs, so code changed on disk is
 * never loaded.
 */
export function unpackPackage (dataDir: string, digest: string, pkg: PluginPackage): string {
  const target = join(dataDir, 'packages', digest)
  if (existsSync(target)) {
    if (sameFiles(target, pkg)) return target
    rmSync(target, { recursive: true, force: true })
  }
  const staging = writeFiles(`${target}.${process.pid}.${Date.now()}`, pkg)
  try {
    renameSync(staging, target)
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    if (!existsSync(target)) throw error
  }
  return target
}

/**
 * Unpacks an upload into a folder of its own under `<dataDir>/checks/` for the registry's
 * automated checks, never where approved code is loaded from; the caller removes it afterwards.
 */
export function unpackForCheck (dataDir: string, pkg: PluginPackage): string {
  return writeFiles(join(dataDir, 'checks', randomUUID()), pkg)
}

/** Writes every file of the package under `folder`; a package whose paths collide is 422 and leaves nothing behind. */
function writeFiles (folder: string, pkg: PluginPackage): string {
  try {
    mkdirSync(folder, { recursive: true })
    for (const [path, bytes] of pkg.files) {
      const file = join(folder, path)
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, bytes)
    }
    return folder
  } catch (error) {
    rmSync(folder, { recursive: true, force: true })
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST') throw RegistryError.packageInvalid(`the package's paths collide (a file and a folder of one name): ${(error as Error).message.slice(0, 200)}`, { field: '(package)' })
    throw error
  }
}

/** Whether `folder` holds exactly the package's files with exactly their bytes. */
function sameFiles (folder: string, pkg: PluginPackage): boolean {
  try {
    const onDisk = readdirSync(folder, { recursive: true, withFileTypes: true }).filter((entry) => !entry.isDirectory())
    if (onDisk.length !== pkg.files.size) return false
    for (const [path, bytes] of pkg.files) {
      const stat = lstatSync(join(folder, path))
      if (!stat.isFile() || stat.size !== bytes.length || !readFileSync(join(folder, path)).equals(bytes)) return false
    }
    return true
  } catch {
    return false
  }
}

import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { gzipSync } from 'node:zlib'
import tarStream from 'tar-stream'
import { RegistryError } from './errors.ts'
import { secretLike } from './secret-files.ts'

// What stays out of a package: tests, dependencies, editor types, dotfiles, earlier packages.
const EXCLUDED_FOLDERS = new Set(['test', 'node_modules', 'types'])
const EXCLUDED_FILES = new Set(['jsconfig.json', 'tsconfig.json', 'package-lock.json'])

/** The files `packFolder` puts in a package, as paths relative to the folder, sorted. */
export function packageFiles (folder: string): string[] {
  const files: string[] = []
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = relative(folder, join(entry.parentPath, entry.name)).split(sep).join('/')
    const parts = path.split('/')
    if (parts.some((part) => part.startsWith('.'))) continue
    if (parts.length > 1 && EXCLUDED_FOLDERS.has(parts[0]!)) continue
    if (parts.length === 1 && (EXCLUDED_FILES.has(path) || path.endsWith('.tgz'))) continue
    files.push(path)
  }
  return files.sort()
}

/**
 * Packs a plugin folder as the registry expects it (SPEC §6): a gzipped tar with `plugin.json` at
 * its root. Links and special files are never packed; neither are tests, types or dotfiles.
 */
export async function packFolder (folder: string): Promise<{ bytes: Buffer, files: string[] }> {
  const files = packageFiles(folder)
  const secrets = files.flatMap((path) => { const why = secretLike(path, readFileSync(join(folder, path))); return why === undefined ? [] : [`${path} (${why})`] })
  if (secrets.length > 0) throw RegistryError.packageInvalid(`not packed: the folder holds what must never be published: ${secrets.join('; ')}; move it out, or name it in a dotfile folder`, { field: secrets[0]!.split(' ')[0]! })
  const pack = tarStream.pack()
  const chunks: Buffer[] = []
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer))
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve())
    pack.on('error', reject)
  })
  // A fixed time and mode: packing the same files twice gives the same bytes (and SHA-256).
  for (const path of files) pack.entry({ name: path, mode: 0o644, mtime: new Date(0) }, readFileSync(join(folder, path)))
  pack.finalize()
  await ended
  return { bytes: gzipSync(Buffer.concat(chunks), { level: 9 }), files }
}

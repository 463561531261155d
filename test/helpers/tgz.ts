import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import tarStream from 'tar-stream'

export interface TarEntry {
  name: string
  content?: string | Buffer
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo'
  linkname?: string
}

/** Builds a gzipped tar in memory, including the hostile entries a real packer would never write. */
export async function tgz (entries: TarEntry[]): Promise<Buffer> {
  const pack = tarStream.pack()
  const chunks: Buffer[] = []
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer))
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()))
  for (const entry of entries) {
    const type = entry.type ?? 'file'
    if (type === 'file') pack.entry({ name: entry.name, type }, entry.content ?? '')
    else pack.entry({ name: entry.name, type, ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }) })
  }
  pack.finalize()
  await ended
  return gzipSync(Buffer.concat(chunks))
}

/** A folder's plugin as tar entries, with the manifest changed by `change`. */
export function pluginEntries (manifest: Record<string, unknown>, files: Record<string, string>): TarEntry[] {
  return [{ name: 'plugin.json', content: JSON.stringify(manifest) }, ...Object.entries(files).map(([name, content]) => ({ name, content }))]
}

const examples = new URL('../../examples/', import.meta.url).pathname

/** A plugin folder as tar entries (every file, README aside), with its manifest changed by `change`. */
export function folderEntries (folder: string, change: (manifest: Record<string, unknown>) => Record<string, unknown> = (m) => m): TarEntry[] {
  const manifest = change(JSON.parse(readFileSync(join(folder, 'plugin.json'), 'utf8')))
  const files = Object.fromEntries(readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .filter((f) => f !== 'plugin.json' && !f.endsWith('.md'))
    .map((f) => [f, readFileSync(join(folder, f), 'utf8')]))
  return pluginEntries(manifest, files)
}

/** examples/permits packed at `version`. */
export function permitsPackage (version: string): Promise<Buffer> {
  return tgz(folderEntries(join(examples, 'permits'), (m) => ({ ...m, version })))
}

/** examples/hello packed at `version`, its answers tagged with that version. */
export function helloPackage (version: string, visibility = 'private'): Promise<Buffer> {
  const entries = folderEntries(join(examples, 'hello'), (m) => ({ ...m, version, visibility }))
    .map((entry) => entry.name === 'index.js' ? { ...entry, content: String(entry.content).replace('return { message:', `return { version: '${version}', message:`) } : entry)
  return tgz(entries)
}

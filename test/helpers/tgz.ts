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

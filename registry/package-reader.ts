import { posix } from 'node:path'
import { gunzipSync } from 'node:zlib'
import tarStream from 'tar-stream'
import { RegistryError } from './errors.ts'
import { parseManifest, type Manifest } from './manifest.ts'
import { secretLike } from './secret-files.ts'

/** Hard limits on a package (SPEC §6): what an upload may be, before anything else looks at it. */
export const PACKAGE_LIMITS = {
  /** The gzipped upload. */
  packageBytes: 5 * 1024 * 1024,
  /** Everything once unpacked (a gzip bomb stops here). */
  unpackedBytes: 20 * 1024 * 1024,
  fileBytes: 5 * 1024 * 1024,
  files: 500,
  pathLength: 200,
  /** plugin.json: it is stored, read and shown with every version, so it stays small. */
  manifestBytes: 256 * 1024,
}

export interface PluginPackage {
  manifest: Manifest
  /** Package-relative paths (`index.js`, `lib/x.js`) to their bytes. */
  files: Map<string, Buffer>
}

const invalid = (message: string, field: string): Error => RegistryError.packageInvalid(message, { field })

/**
 * Reads a `.tgz` plugin package entirely in memory within the limits: regular files and folders
 * only (no links, devices or FIFOs), no absolute paths, no `..`, no path twice, `plugin.json` at
 * the root and valid. Every refusal names the entry at fault.
 */
export async function readPackage (bytes: Buffer): Promise<PluginPackage> {
  if (bytes.length > PACKAGE_LIMITS.packageBytes) throw RegistryError.packageTooLarge(`the package is larger than ${PACKAGE_LIMITS.packageBytes} bytes`, { field: '(body)' })
  let tar: Buffer
  try {
    tar = gunzipSync(bytes, { maxOutputLength: PACKAGE_LIMITS.unpackedBytes + 1024 * 1024 })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw code === 'ERR_BUFFER_TOO_LARGE' ? invalid(`the package unpacks to more than ${PACKAGE_LIMITS.unpackedBytes} bytes`, '(body)') : invalid('the package is not a gzipped tar archive', '(body)')
  }
  const files = new Map<string, Buffer>()
  let total = 0
  const extract = tarStream.extract()
  // The first problem is kept and the rest of the archive drained: destroying the extractor from
  // inside its own callbacks surfaces the error a second time, uncaught.
  let failure: Error | undefined
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const fail = (error: Error): void => {
        failure ??= error
        stream.on('end', next)
        stream.resume()
      }
      if (failure !== undefined) return fail(failure)
      const raw = header.name
      if (header.type !== 'file' && header.type !== 'directory') return fail(invalid(`'${raw.slice(0, 200)}' is a ${header.type}: only files and folders are allowed`, raw.slice(0, 200)))
      if (raw.length > PACKAGE_LIMITS.pathLength || raw.includes('\0') || raw.includes('\\')) return fail(invalid(`'${raw.slice(0, 200)}' is not an acceptable path`, raw.slice(0, 200)))
      if (raw.startsWith('/')) return fail(invalid(`'${raw}' is an absolute path`, raw))
      if (raw.split('/').includes('..')) return fail(invalid(`'${raw}' leaves the package (..)`, raw))
      const name = posix.normalize(raw).replace(/^\.\//, '').replace(/\/$/, '')
      if (header.type === 'directory' || name === '.' || name === '') { stream.resume(); stream.on('end', next); return }
      if (files.has(name)) return fail(invalid(`'${name}' appears twice`, name))
      if (files.size >= PACKAGE_LIMITS.files) return fail(invalid(`more than ${PACKAGE_LIMITS.files} files`, name))
      if ((header.size ?? 0) > PACKAGE_LIMITS.fileBytes) return fail(invalid(`'${name}' is larger than ${PACKAGE_LIMITS.fileBytes} bytes`, name))
      const chunks: Buffer[] = []
      stream.on('data', (chunk: unknown) => {
        const bytes = chunk as Buffer
        total += bytes.length
        chunks.push(bytes)
      })
      stream.on('end', () => {
        if (total > PACKAGE_LIMITS.unpackedBytes) failure ??= invalid(`the package unpacks to more than ${PACKAGE_LIMITS.unpackedBytes} bytes`, name)
        else files.set(name, Buffer.concat(chunks))
        next()
      })
    })
    extract.on('finish', () => (failure === undefined ? resolve() : reject(failure)))
    extract.on('error', (error) => reject(error.name === 'PlatformError' ? error : invalid(`the tar archive is damaged: ${error.message.slice(0, 100)}`, '(body)')))
  })
  extract.end(tar)
  await done
  // A key or a database that slipped into a folder is refused by name, before anyone can download it from here.
  const secrets = [...files].flatMap(([name, content]) => { const why = secretLike(name, content); return why === undefined ? [] : [`'${name}' (${why})`] })
  if (secrets.length > 0) throw invalid(`the package holds what must never be published: ${secrets.slice(0, 10).join('; ')}`, secrets[0]!.slice(1, secrets[0]!.indexOf("'", 1)))
  const manifestBytes = files.get('plugin.json')
  if (manifestBytes === undefined) throw invalid('there is no plugin.json at the root of the package', 'plugin.json')
  if (manifestBytes.length > PACKAGE_LIMITS.manifestBytes) throw invalid(`plugin.json is larger than ${PACKAGE_LIMITS.manifestBytes} bytes`, 'plugin.json')
  let json: unknown
  try {
    json = JSON.parse(manifestBytes.toString('utf8'))
  } catch (error) {
    throw RegistryError.manifestInvalid(`plugin.json is not JSON: ${(error as Error).message.slice(0, 100)}`, { field: 'plugin.json' })
  }
  const manifest = parseManifest(json)
  if (!files.has(posix.normalize(manifest.main))) throw RegistryError.manifestInvalid(`main '${manifest.main}' is not in the package`, { field: 'main' })
  return { manifest, files }
}

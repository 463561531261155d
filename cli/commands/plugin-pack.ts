import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { isPlatformError } from '../../core/errors.ts'
import { accessCheck } from '../../registry/checks.ts'
import { readPackage } from '../../registry/package-reader.ts'
import { sha256 } from '../../registry/package-store.ts'
import { packFolder } from '../../registry/package-writer.ts'
import { describeError } from '../api-client.ts'
import { parseArgs } from '../args.ts'

export const pluginPackUsage = `usage: nentang plugin pack [folder] [--out <file>]

Packs a plugin folder (default: the current one) into <name>-<version>.tgz, leaving out test/, types/,
node_modules/ and dotfiles, and checks the result as the registry will (manifest, limits, paths).

  --out  where to write the package (default: ./<name>-<version>.tgz)`

/** Packs `folder` and checks the package as the registry would; throws the registry's error if it is refused. */
export async function packChecked (folder: string): Promise<{ bytes: Buffer, name: string, version: string, files: string[] }> {
  const { bytes, files } = await packFolder(folder)
  const pkg = await readPackage(bytes)
  return { bytes, files, name: pkg.manifest.name, version: pkg.manifest.version }
}

/** `nentang plugin pack`. */
export async function pluginPackCommand (args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], ['out'])
  const folder = resolve(parsed.positionals[0] ?? '.')
  try {
    const { bytes, name, version, files } = await packChecked(folder)
    const out = resolve(parsed.options.get('out') ?? join(process.cwd(), `${name.split('/')[1]}-${version}.tgz`))
    writeFileSync(out, bytes)
    console.log(`packed ${name}@${version}: ${files.length} file(s), ${bytes.length} bytes, sha256 ${sha256(bytes)}`)
    for (const file of files) console.log(`  + ${file}`)
    console.log(`  ${out}`)
    // What the registry's review would mark failed (a reviewer can approve it only with an override).
    const access = accessCheck((await readPackage(bytes)).manifest)
    if (!access.ok) {
      console.error(`nentang plugin pack: the registry will mark this check failed: ${access.id}: ${access.message}`)
      return 1
    }
    return 0
  } catch (error) {
    if (!isPlatformError(error)) throw error
    console.error(`nentang plugin pack: ${describeError(error)}`)
    return 1
  }
}

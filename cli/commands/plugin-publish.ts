import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { isPlatformError } from '../../core/errors.ts'
import { describeError, describeFailure } from '../api-client.ts'
import { parseArgs } from '../args.ts'
import { loadCredential, normalizeUrl } from '../credentials.ts'
import { callAs } from '../session.ts'
import { packChecked } from './plugin-pack.ts'

export const pluginPublishUsage = `usage: nentang plugin publish [folder | package.tgz] [--url <platform URL>]

Uploads a plugin (a folder, packed first, or a .tgz) to the registry of the platform you signed in to
with \`nentang login\`. It is then pending until a platform administrator approves it; the automated
checks are printed.

  --url  the platform (default: the one signed in to last)`

/** `nentang plugin publish`. */
export async function pluginPublishCommand (args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], ['url'])
  const url = parsed.options.get('url')
  const credential = loadCredential(url === undefined ? undefined : normalizeUrl(url))
  if (credential === undefined) {
    console.error(`nentang plugin publish: not signed in${url === undefined ? '' : ` to ${url}`}; run \`nentang login\` first`)
    return 1
  }
  const target = resolve(parsed.positionals[0] ?? '.')
  let bytes: Buffer
  try {
    if (statSync(target).isDirectory()) {
      process.stderr.write(`packing ${target}…\n`)
      bytes = (await packChecked(target)).bytes
    } else bytes = readFileSync(target)
  } catch (error) {
    if (isPlatformError(error)) console.error(`nentang plugin publish: ${describeError(error)}`)
    else console.error(`nentang plugin publish: cannot read ${target}: ${(error as Error).message}`)
    return 1
  }
  process.stderr.write(`uploading ${bytes.length} bytes to ${credential.url} as ${credential.username}…\n`)
  const response = await callAs(credential, 'POST', '/api/v1/registry/packages', { raw: bytes, contentType: 'application/gzip' })
  if (response.status !== 201) {
    console.error(`nentang plugin publish: ${describeFailure(response)}`)
    if (response.status === 401) console.error('  the session has ended (unused too long, signed out, or the password changed); run `nentang login` again')
    return 1
  }
  const entry = response.body
  console.log(`published ${entry.name}@${entry.version}: ${entry.status}, sha256 ${entry.sha256}`)
  for (const check of entry.checks as Array<{ id: string, ok: boolean, message: string }>) console.log(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.id}: ${check.message}`)
  return entry.checks.every((check: { ok: boolean }) => check.ok) ? 0 : 1
}

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { TENANT_CODE_PATTERN } from '../../core/tenancy/tenants.ts'
import { PLUGIN_NAME_PATTERN } from '../../registry/schemas.ts'
import { parseArgs } from '../args.ts'

export const pluginInitUsage = `usage: nentang plugin init <@scope/name | name> [--scope <tenant>] [--dir <folder>] [--description <text>]

Creates a plugin project: plugin.json, index.js (handlers checked with the SDK's types), a test run by
\`nentang plugin test\`, a README, and the SDK's TypeScript types in types/.

  --scope        the publishing tenant, when the name has none (default: dev)
  --dir          the folder to create (default: ./<name>)
  --description  one line for plugin.json and the README`

const templates = new URL('../templates/plugin/', import.meta.url).pathname
const sdkTypes = new URL('../../sdk/', import.meta.url).pathname
const SCOPE = new RegExp(TENANT_CODE_PATTERN)
const NAME = new RegExp(PLUGIN_NAME_PATTERN)

/** `nentang plugin init`: scaffolds a plugin project from `cli/templates/plugin`. */
export async function pluginInitCommand (args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], ['scope', 'dir', 'description'])
  const [full] = parsed.positionals
  if (full === undefined) {
    console.error(`nentang plugin init: name the plugin\n\n${pluginInitUsage}`)
    return 2
  }
  const match = /^(?:@([^/]+)\/)?(.+)$/.exec(full)!
  const scope = match[1] ?? parsed.options.get('scope') ?? 'dev'
  const name = match[2]!
  if (!SCOPE.test(scope)) {
    console.error(`nentang plugin init: scope '${scope}' is not a tenant code (lower case letters, digits and -, 2 to 63 characters)`)
    return 2
  }
  if (!NAME.test(name)) {
    console.error(`nentang plugin init: name '${name}' must be lower case letters, digits and -, starting with a letter`)
    return 2
  }
  const folder = resolve(parsed.options.get('dir') ?? name)
  if (existsSync(folder) && readdirSync(folder).length > 0) {
    console.error(`nentang plugin init: ${folder} exists and is not empty`)
    return 1
  }
  const description = parsed.options.get('description') ?? `The ${name} plugin`
  const fill = (text: string): string => text.replaceAll('@SCOPE/NAME', `@${scope}/${name}`).replaceAll('SCOPE', scope).replaceAll('NAME', name).replaceAll('DESCRIPTION', description)
  const written: string[] = []
  for (const entry of readdirSync(templates, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const source = join(entry.parentPath, entry.name)
    const target = join(folder, source.slice(templates.length))
    mkdirSync(join(target, '..'), { recursive: true })
    writeFileSync(target, fill(readFileSync(source, 'utf8')))
    written.push(target.slice(folder.length + 1))
  }
  mkdirSync(join(folder, 'types'), { recursive: true })
  for (const file of ['nentang-sdk.d.ts', 'plugin.d.ts', 'manifest.d.ts']) {
    copyFileSync(join(sdkTypes, file), join(folder, 'types', file))
    written.push(`types/${file}`)
  }
  console.log(`created @${scope}/${name} in ${folder}:`)
  for (const file of written.sort()) console.log(`  ${file}`)
  console.log(`\nnext: cd ${folder} && nentang plugin check && nentang plugin test`)
  return 0
}

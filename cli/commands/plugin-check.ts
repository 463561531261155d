import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { parseArgs } from '../args.ts'

export const pluginCheckUsage = `usage: nentang plugin check [folder]

Type-checks a plugin's JavaScript against the SDK's types (types/, written by \`nentang plugin init\`) with the
TypeScript this CLI brings, as jsconfig.json says: a wrong SDK call, a missing argument or a misspelt field is
named with its file and line. Exits 0 when the plugin checks clean.`

/** `nentang plugin check`: TypeScript over the plugin's folder, with its jsconfig.json. */
export async function pluginCheckCommand (args: string[]): Promise<number> {
  const parsed = parseArgs(args, [], [])
  const folder = resolve(parsed.positionals[0] ?? '.')
  const project = join(folder, 'jsconfig.json')
  if (!existsSync(project)) {
    console.error(`nentang plugin check: ${folder} has no jsconfig.json (a folder made by \`nentang plugin init\` has one)`)
    return 2
  }
  let tsc: string
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  } catch {
    console.error('nentang plugin check: TypeScript is missing beside the CLI; install the CLI package again')
    return 1
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { stdio: 'inherit' })
    child.on('close', (code) => {
      if (code === 0) console.log(`${folder}: the handlers check against the SDK's types`)
      resolve(code ?? 1)
    })
  })
}

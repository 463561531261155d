import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Every TypeScript source file under `dir` (declaration files and node_modules aside); none when it does not exist. */
export function sourceFiles (dir: string): string[] {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return []
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry)
    if (entry === 'node_modules') return []
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : []
  })
}

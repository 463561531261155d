import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

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

/** Every relative module a file imports or re-exports, types included, as absolute paths. */
export function importsOf (file: string, text = readFileSync(file, 'utf8')): string[] {
  const found: string[] = []
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
    found.push(resolve(dirname(file), (match[1] ?? match[2] ?? match[3])!))
  }
  return found
}

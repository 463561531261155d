// Builds the CLI package's `dist/` from this repository's sources (run by `npm pack` as `prepack`): the platform's
// TypeScript turned into JavaScript with the same layout, relative imports pointing at `.js` (Node strips no types
// under node_modules, where an installed package lives), and the files the platform reads at run time copied as they
// are: the console, the first-party plugins, the SDK's types and page script, the CLI's templates and demo data.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'

const root = new URL('../../../', import.meta.url).pathname
const dist = new URL('../dist/', import.meta.url).pathname
/** What the CLI runs: every layer of the platform (not the repository's tests, benchmarks or examples). */
const FOLDERS = ['cli', 'client', 'console', 'core', 'platform', 'plugins', 'registry', 'sandbox', 'sdk']
const SKIP = /(^|\/)(node_modules|\.tap)(\/|$)/

rmSync(dist, { recursive: true, force: true })
let compiled = 0
let copied = 0
for (const folder of FOLDERS) {
  for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const source = join(entry.parentPath, entry.name)
    const path = relative(root, source)
    if (SKIP.test(path)) continue
    if (path.endsWith('.ts') && !path.endsWith('.d.ts')) {
      const output = ts.transpileModule(readFileSync(source, 'utf8'), {
        fileName: path,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2024,
          verbatimModuleSyntax: true,
          rewriteRelativeImportExtensions: true,
        },
      })
      const target = join(dist, path.replace(/\.ts$/, '.js'))
      mkdirSync(dirname(target), { recursive: true })
      writeFileSync(target, output.outputText)
      compiled++
    } else {
      const target = join(dist, path)
      mkdirSync(dirname(target), { recursive: true })
      cpSync(source, target)
      copied++
    }
  }
}
console.log(`nentang-cli: built dist/ (${compiled} modules compiled, ${copied} files copied)`)

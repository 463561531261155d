// SQLite pass only: no database is involved.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const root = new URL('../../', import.meta.url).pathname
const tsc = join(root, 'node_modules/typescript/bin/tsc')

/**
 * Type-checks plugin sources against `sdk/` alone, as a plugin author's editor does; the compiler's findings, or ''.
 */
function typecheck (files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'nentang-sdk-check-'))
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { allowJs: true, checkJs: true, noEmit: true, strict: true, strictNullChecks: false, noImplicitAny: false, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: [], skipLibCheck: false },
      files: [join(root, 'sdk/nentang-sdk.d.ts'), join(root, 'sdk/plugin.d.ts'), join(root, 'sdk/manifest.d.ts'), ...files],
    }))
    const run = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' })
    return run.status === 0 ? '' : run.stdout + run.stderr
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

t.test('the example, first-party, bench and files plugins compile against sdk/: the types say what the host takes', async (t) => {
  // (The template `plugin init` copies is checked in its own project: test/cli/plugin-workflow.test.ts.)
  const plugins = ['examples/hello/index.js', 'examples/permits/index.js', 'plugins/notices/index.js', 'bench/plugins/storage-rw/index.js', 'test/fixtures/plugins/clerk/index.js', 'examples/dossiers/index.js',
    'plugins/portal-sync/index.js', 'bench/plugins/exchange-echo/index.js', 'test/fixtures/plugins/exchanger/index.js']
  t.equal(typecheck(plugins.map((file) => join(root, file))), '', plugins.join(', '))
})

t.test('and the types catch what the host refuses', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nentang-sdk-wrong-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const wrong = join(dir, 'wrong.js')
  writeFileSync(wrong, [
    "import { storage } from 'nentang:sdk'",
    "const items = storage.collection('items')",
    'await items.aggregate({ metrics: { n: { count: true } } })',
    "await items.find({}, { sort: { field: 'n' } })",
  ].join('\n'))
  const found = typecheck([wrong])
  t.match(found, /wrong\.js\(3,/, 'a metric in a shape the host does not take')
  t.match(found, /wrong\.js\(4,/, 'a sort that is not field names')
})

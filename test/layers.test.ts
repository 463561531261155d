import { join, relative } from 'node:path'
import t from 'tap'
import { importsOf, sourceFiles } from './helpers/source-files.ts'

const root = new URL('../', import.meta.url).pathname

/**
 * The layers (docs/architecture.md, "Layers"), bottom to top: core → sandbox → registry → platform,
 * with console and cli beside platform. Each rule: which files it governs, what they may import
 * (a path relative to the repository), and the rule's words for the failure.
 */
interface Rule {
  files: (path: string) => boolean
  allows: (target: string) => boolean
  says: string
}

const within = (...prefixes: string[]) => (path: string): boolean => prefixes.some((prefix) => path.startsWith(prefix))
const not = (test: (path: string) => boolean) => (path: string): boolean => !test(path)
const SOURCE = within('core/', 'sandbox/', 'registry/', 'platform/', 'console/', 'cli/')

export const rules: readonly Rule[] = [
  { files: within('core/'), allows: within('core/'), says: 'core imports nothing above it' },
  {
    files: within('sandbox/'),
    allows: within('sandbox/', 'core/db/', 'core/logger.ts', 'core/errors.ts', 'core/config.ts', 'core/keyed-limit.ts', 'core/outbound.ts'),
    says: 'sandbox imports only core/{db,logger,errors,config,keyed-limit,outbound}',
  },
  { files: not(within('sandbox/worker/')), allows: not(within('sandbox/worker/')), says: 'only sandbox/worker/ imports from sandbox/worker/ (it runs in another process)' },
  { files: within('registry/'), allows: not(within('platform/')), says: 'registry never imports platform/' },
  { files: not(within('platform/', 'cli/')), allows: not(within('console/')), says: 'only platform/ and cli/ import console/' },
  { files: () => true, allows: not(within('examples/', 'test/', 'bench/', 'client/')), says: 'shipped code imports no example, test, bench or client file' },
]

/** Every import of a source file under `base` that breaks a rule: `file imports target: rule`. */
export function layerViolations (base: string): string[] {
  const found: string[] = []
  for (const file of sourceFiles(base)) {
    const path = relative(base, file)
    if (!SOURCE(path)) continue
    for (const imported of importsOf(file)) {
      const target = relative(base, imported)
      for (const rule of rules) {
        if (rule.files(path) && !rule.allows(target)) found.push(`${path} imports ${target}: ${rule.says}`)
      }
    }
  }
  return found
}

t.test('every import of core, sandbox, registry, platform, console and cli keeps to the layers', async (t) => {
  const files = ['core', 'sandbox', 'registry', 'platform', 'console', 'cli'].flatMap((folder) => sourceFiles(join(root, folder)))
  t.ok(files.length > 100, `${files.length} files read`)
  t.same(layerViolations(root), [], 'no import crosses a layer the wrong way')
})

t.test('a wrong import fails the check, naming the file, the import and the rule', async (t) => {
  t.same(layerViolations(join(root, 'test/fixtures/layers')), [
    'core/reaches-up.ts imports platform/start.ts: core imports nothing above it',
    'registry/into-worker.ts imports sandbox/worker/main.ts: only sandbox/worker/ imports from sandbox/worker/ (it runs in another process)',
  ])
})

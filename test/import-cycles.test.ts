import { join, relative } from 'node:path'
import t from 'tap'
import { importsOf, sourceFiles } from './helpers/source-files.ts'

const root = new URL('../', import.meta.url).pathname
const folders = ['core', 'platform', 'sandbox', 'registry', 'console', 'cli', 'plugins', 'examples', 'sdk', 'client', 'bench']

/** The first cycle found in the import graph, as the files in order, or undefined. */
export function findCycle (graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  function visit (file: string): string[] | undefined {
    state.set(file, 'visiting')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue
      if (state.get(next) === 'visiting') return [...stack.slice(stack.indexOf(next)), next]
      if (state.get(next) === undefined) {
        const cycle = visit(next)
        if (cycle !== undefined) return cycle
      }
    }
    stack.pop()
    state.set(file, 'done')
    return undefined
  }
  for (const file of graph.keys()) {
    if (state.get(file) === undefined) {
      const cycle = visit(file)
      if (cycle !== undefined) return cycle
    }
  }
  return undefined
}

t.test('no two source files import each other, directly or round a circle', async (t) => {
  const files = folders.flatMap((folder) => sourceFiles(join(root, folder)))
  t.ok(files.length > 100, `${files.length} files read`)
  const graph = new Map(files.map((file) => [file, importsOf(file)]))
  const cycle = findCycle(graph)
  t.equal(cycle?.map((file) => relative(root, file)).join(' → '), undefined, 'no import cycle')
})

t.test('the check finds a circle when there is one, naming its files', async (t) => {
  const a = join(root, 'core/a.ts')
  const b = join(root, 'core/b.ts')
  const c = join(root, 'core/c.ts')
  const graph = new Map([[a, importsOf(a, "import {\n  x,\n} from './b.ts'")], [b, importsOf(b, "import type { Y } from './c.ts'")], [c, importsOf(c, "import './a.ts'")]])
  t.same(findCycle(graph)?.map((file) => relative(root, file)), ['core/a.ts', 'core/b.ts', 'core/c.ts', 'core/a.ts'])
  t.equal(findCycle(new Map([[a, [b]], [b, []]])), undefined)
})

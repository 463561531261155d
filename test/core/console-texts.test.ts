// SQLite pass only: no database is involved.
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import { permissionList } from '../../registry/checks.ts'
import type { Manifest } from '../../registry/manifest.ts'

const app = new URL('../../console/app/', import.meta.url).pathname
const source = readFileSync(`${app}i18n.js`, 'utf8')

function keysOf (block: string): Set<string> {
  return new Set([...block.matchAll(/^ {4}'([a-zA-Z.]+)':/gm)].map((m) => m[1]!))
}

t.test('every console text exists in Vietnamese and in English', async (t) => {
  const vi = keysOf(source.slice(source.indexOf('  vi: {'), source.indexOf('  en: {')))
  const en = keysOf(source.slice(source.indexOf('  en: {')))
  t.ok(vi.size > 100)
  t.same([...vi].filter((key) => !en.has(key)), [], 'no Vietnamese text lacks its English')
  t.same([...en].filter((key) => !vi.has(key)), [], 'no English text lacks its Vietnamese')
  const used = new Set<string>()
  for (const file of readdirSync(app).filter((f) => f.endsWith('.js'))) {
    for (const match of readFileSync(`${app}${file}`, 'utf8').matchAll(/\bt\('([a-zA-Z.]+)'/g)) used.add(match[1]!)
  }
  t.ok(used.size > 80)
  t.same([...used].filter((key) => !vi.has(key)), [], 'every text the pages ask for is defined')
})

t.test('every permission the registry lists has its words for reviewers, in both languages', async (t) => {
  const vi = keysOf(source.slice(source.indexOf('  vi: {'), source.indexOf('  en: {')))
  const en = keysOf(source.slice(source.indexOf('  en: {')))
  const everything = {
    storage: { read: ['lineage', 'subtree'] },
    http: { allow: ['https://x.gov.vn/*'] },
    secrets: ['KEY'],
    events: { publish: ['a.b'], subscribe: { 'c.d': 'onEvent' } },
    signature: true,
    audit: true,
    directory: true,
    timers: ['remind'],
    exchange: ['lgsp'],
  }
  const listed = permissionList({ permissions: everything } as unknown as Manifest)
  t.equal(listed.length, 12)
  // As page-review.js's describe() names them: `http:…` → permission.http,
  // `storage.read:lineage` → permission.storage.read.lineage.
  const keys = listed.map((p) => `permission.${(p.startsWith('storage.read:') ? p : p.split(':')[0]!).replace(':', '.')}`)
  t.same(keys.filter((key) => !vi.has(key) || !en.has(key)), [])
})

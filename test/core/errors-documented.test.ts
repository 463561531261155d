// SQLite pass only: no database is involved.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ERROR_TEXTS, preferredLanguage } from '../../core/error-texts.ts'
import { definedErrors } from '../../core/errors.ts'
import { sourceFiles } from '../helpers/source-files.ts'

const root = new URL('../../', import.meta.url).pathname
const layers = ['core', 'sandbox', 'registry', 'plugins', 'cli']

const files = layers.flatMap((layer) => sourceFiles(join(root, layer)))
// Load every module that defines codes, so the registry holds them all.
for (const file of files.filter((f) => readFileSync(f, 'utf8').includes('defineError('))) await import(file)

t.test('docs/errors.md lists exactly the codes the code defines, with the same statuses', async (t) => {
  const documented = new Map<string, number>()
  for (const match of readFileSync(join(root, 'docs/errors.md'), 'utf8').matchAll(/^\| `([A-Z]+_ERR_[A-Z0-9_]+)` \| (\d{3}) \|/gm)) {
    t.notOk(documented.has(match[1]!), `${match[1]} is documented once`)
    documented.set(match[1]!, Number(match[2]))
  }
  const defined = new Map(definedErrors().map((e) => [e.code, e.status]))
  t.ok(defined.size > 20, 'the registry was loaded')
  for (const [code, status] of defined) t.equal(documented.get(code), status, `${code} is documented with status ${status}`)
  for (const code of documented.keys()) t.ok(defined.has(code), `${code} in docs/errors.md exists in the code`)
})

t.test('every code named in the source is defined', async (t) => {
  const defined = new Set(definedErrors().map((e) => e.code))
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/'([A-Z]+_ERR_[A-Z0-9_]+)'/g)) {
      t.ok(defined.has(match[1]!), `${match[1]} (in ${file.slice(root.length)}) is defined`)
    }
  }
})

t.test('every code says what it means in Vietnamese and in English, in words, with no code or pattern in them', async (t) => {
  const defined = definedErrors().map((e) => e.code).sort()
  t.same(Object.keys(ERROR_TEXTS).sort(), defined, 'the catalogue holds exactly the codes defined')
  for (const [code, { vi, en }] of Object.entries(ERROR_TEXTS)) {
    t.match(vi, /[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]/i, `${code}: the Vietnamese text is Vietnamese`)
    t.ok(en.length > 10 && vi.length > 10, `${code}: both say something`)
    t.notMatch(`${vi} ${en}`, /[A-Z]+_ERR_|\^|\$\{|\[a-z/, `${code}: no code or pattern shown to a person`)
  }
})

t.test('Accept-Language picks Vietnamese or English by its weights; anything else is English', async (t) => {
  t.equal(preferredLanguage('vi-VN,vi;q=0.9,en;q=0.8'), 'vi')
  t.equal(preferredLanguage('en-GB,en;q=0.9,vi;q=0.5'), 'en')
  t.equal(preferredLanguage('fr-FR, en;q=0.3, vi;q=0.7'), 'vi')
  t.equal(preferredLanguage('vi;q=0, en'), 'en', 'q=0 is "not this one"')
  t.equal(preferredLanguage('de'), 'en')
  t.equal(preferredLanguage(undefined), 'en')
  t.equal(preferredLanguage('vi;q=abc'), 'en', 'a broken weight counts for nothing')
  t.equal(preferredLanguage(`${'x,'.repeat(10_000)}vi`), 'en', 'only the first 500 characters are read')
})

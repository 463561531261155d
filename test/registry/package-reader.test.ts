import t from 'tap'
import { readPackage } from '../../registry/package-reader.ts'
import { pluginEntries, tgz } from '../helpers/tgz.ts'

const manifest = { name: '@hn/permits', version: '1.0.0', engine: '^1.0.0', main: 'index.js', routes: [{ method: 'GET', path: '/x', handler: 'x' }] }

t.test('a well-formed package is read with its files', async (t) => {
  const pkg = await readPackage(await tgz([...pluginEntries(manifest, { 'index.js': 'export function x () {}', 'lib/util.js': '' }), { name: 'lib/', type: 'directory' }]))
  t.equal(pkg.manifest.name, '@hn/permits')
  t.same([...pkg.files.keys()].sort(), ['index.js', 'lib/util.js', 'plugin.json'])
})

t.test('every hostile or broken package is refused, naming what is wrong', async (t) => {
  const cases: Array<[string, Promise<Buffer> | Buffer, string, RegExp]> = [
    ['a path with ..', tgz([...pluginEntries(manifest, { 'index.js': '' }), { name: '../x', content: 'x' }]), 'REG_ERR_PACKAGE_INVALID', /'..\/x' leaves the package/],
    ['a nested ..', tgz([...pluginEntries(manifest, { 'index.js': '' }), { name: 'lib/../../x', content: 'x' }]), 'REG_ERR_PACKAGE_INVALID', /leaves the package/],
    ['an absolute path', tgz([...pluginEntries(manifest, { 'index.js': '' }), { name: '/etc/x', content: 'x' }]), 'REG_ERR_PACKAGE_INVALID', /absolute path/],
    ['a symlink', tgz([...pluginEntries(manifest, { 'index.js': '' }), { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }]), 'REG_ERR_PACKAGE_INVALID', /'passwd' is a symlink/],
    ['a hard link', tgz([...pluginEntries(manifest, { 'index.js': '' }), { name: 'again', type: 'link', linkname: 'index.js' }]), 'REG_ERR_PACKAGE_INVALID', /is a link/],
    ['a device', tgz([...pluginEntries(manifest, { 'index.js': '' }), { name: 'dev', type: 'character-device' }]), 'REG_ERR_PACKAGE_INVALID', /character-device/],
    ['no plugin.json', tgz([{ name: 'index.js', content: '' }]), 'REG_ERR_PACKAGE_INVALID', /no plugin.json/],
    ['not gzip', Buffer.from('just text'), 'REG_ERR_PACKAGE_INVALID', /not a gzipped tar/],
    ['a gzip bomb', tgz([...pluginEntries(manifest, { 'index.js': '' }), { name: 'zeros', content: Buffer.alloc(25 * 1024 * 1024) }]), 'REG_ERR_PACKAGE_INVALID', /unpacks to more than|larger than/],
    ['malformed manifest', tgz(pluginEntries({ ...manifest, version: 'one' }, { 'index.js': '' })), 'REG_ERR_MANIFEST_INVALID', /version/],
    ['main missing', tgz(pluginEntries(manifest, { 'other.js': '' })), 'REG_ERR_MANIFEST_INVALID', /main 'index.js' is not in the package/],
  ]
  for (const [name, bytes, code, message] of cases) {
    await t.rejects(readPackage(await bytes), { code, message }, name)
  }
  const bad = await readPackage(await tgz(pluginEntries({ ...manifest, routes: [{ method: 'GET', path: '/x' }] }, { 'index.js': '' }))).catch((error) => error)
  t.equal(bad.field, 'routes/0/handler', 'a manifest error names its path')
})

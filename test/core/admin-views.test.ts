import t from 'tap'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

const PASSWORD = 'views-password-1'

t.test('the views the console is built on: search, roles, audit, chain, status', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  const create = async (parent: string, code: string, name: string, adminUnitCode?: string) => {
    const response = await p.call('POST', `/api/v1/tenants/${parent}/children`, { token: admin, body: { code, name, ...(adminUnitCode === undefined ? {} : { adminUnitCode }) } })
    t.equal(response.status, 201, `${code} created`)
  }
  await create('vn', 'hn', 'Thành phố Hà Nội', '01')
  await create('hn', 'hn-ba-dinh', 'Phường Ba Đình', '00004')
  await create('hn', 'hn-dong-da', 'Phường Đống Đa')
  await create('vn', 'hcm', 'Thành phố Hồ Chí Minh', '79')
  t.equal((await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'hn-admin', password: PASSWORD, roles: ['tenant-admin'] } })).status, 201)
  const hnAdmin = await p.signIn('hn-admin', PASSWORD)

  // Search: every word, in code, name or unit code, without diacritics or case.
  const search = async (token: string, code: string, q: string) => p.call('GET', `/api/v1/tenants/${code}/search?q=${encodeURIComponent(q)}`, { token })
  t.same((await search(admin, 'vn', 'ba dinh')).body.items.map((u: any) => u.code), ['hn-ba-dinh'])
  t.same((await search(admin, 'vn', 'ĐỐNG')).body.items.map((u: any) => u.code), ['hn-dong-da'])
  t.same((await search(admin, 'vn', 'thanh pho')).body.items.map((u: any) => u.code), ['hcm', 'hn'], 'the shallowest first, then by code')
  t.same((await search(admin, 'vn', '00004')).body.items.map((u: any) => u.code), ['hn-ba-dinh'], 'by administrative code')
  t.same((await search(hnAdmin, 'hn', 'thanh pho')).body.items.map((u: any) => u.code), ['hn'], 'only within the subtree')
  t.equal((await search(hnAdmin, 'vn', 'hcm')).status, 404, 'outside it, the tenant does not exist')
  const empty = await search(admin, 'vn', '')
  t.equal(empty.status, 422)
  t.equal(empty.body.error.field, 'q', 'a bad query parameter is named')

  // Roles at a unit.
  const roles = (await p.call('GET', '/api/v1/tenants/hn/roles', { token: hnAdmin })).body.items
  t.same(roles.map((r: any) => r.name), ['platform-admin', 'tenant-admin', 'developer', 'officer', 'member'])
  t.ok(roles.every((r: any) => r.builtIn))

  // The audit log: everything at the root, the subtree below it, filters and pages.
  const audit = async (token: string, code: string, query = '') => p.call('GET', `/api/v1/tenants/${code}/audit${query}`, { token })
  const all = (await audit(admin, 'vn', '?limit=200')).body
  t.ok(all.items.some((e: any) => e.target === 'hcm'), 'the root sees every tenant')
  t.ok(all.items.some((e: any) => e.action === 'auth.sign-in' || e.action.startsWith('auth.')), 'and sign-ins')
  const hn = (await audit(hnAdmin, 'hn', '?limit=200')).body.items
  t.ok(hn.length > 0)
  t.ok(hn.every((e: any) => e.tenant === 'hn' || e.tenant === 'hn-ba-dinh' || e.tenant === 'hn-dong-da'), 'a tenant-admin sees its subtree only')
  t.notOk(hn.some((e: any) => 'prevHash' in e), 'entries show their hash, not the chain internals')
  t.equal((await audit(hnAdmin, 'vn')).status, 404)
  t.equal((await audit(hnAdmin, 'hcm')).status, 404)
  const creations = (await audit(admin, 'vn', '?action=tenant.')).body.items
  t.ok(creations.length >= 4 && creations.every((e: any) => e.action.startsWith('tenant.')), 'an action prefix filters')
  t.ok((await audit(admin, 'vn', '?actor=hn-admin')).body.items.every((e: any) => e.actor === 'hn-admin'))
  const first = (await audit(admin, 'vn', '?limit=2')).body
  t.equal(first.items.length, 2)
  t.type(first.next, 'number')
  const second = (await audit(admin, 'vn', `?limit=2&before=${first.next}`)).body
  t.ok(second.items[0].seq < first.items[1].seq, 'the next page continues where the first ended')
  t.equal((await audit(admin, 'vn', '?limit=500')).status, 422, 'at most 200 a page')
  t.equal((await audit(admin, 'vn', '?action=DROP%20TABLE')).status, 422)

  // The chain's verification and the platform status: platform-admins only.
  const verification = await p.call('GET', '/api/v1/audit/verification', { token: admin })
  t.match(verification.body, { ok: true, entries: Number })
  t.equal((await p.call('GET', '/api/v1/audit/verification', { token: hnAdmin })).status, 403)
  const status = await p.call('GET', '/api/v1/platform/status', { token: admin })
  t.match(
    status.body,
    { version: String, node: { ready: true, pid: process.pid }, database: { dialect: p.platform.services.db.dialect, tenants: 5, users: 2 } }
  )
  t.equal((await p.call('GET', '/api/v1/platform/status', { token: hnAdmin })).status, 403)
})

t.test('the console and the API reference are served with strict policies', async (t) => {
  const p = await startTestPlatform(t)
  const home = await fetch(`${p.url}/`, { redirect: 'manual' })
  t.equal(home.status, 302)
  t.equal(home.headers.get('location'), '/console/')
  const page = await fetch(`${p.url}/console/`)
  const html = await page.text()
  t.match(html, /<script type="importmap">/, 'the import map is inlined')
  const policy = page.headers.get('content-security-policy') ?? ''
  t.match(policy, /script-src http:\/\/127\.0\.0\.1:\d+\/console\/ 'sha256-[A-Za-z0-9+/=]+';/, 'scripts from /console/ only (not plugin pages on this host), the import map by its hash, nothing else inline')
  t.match(policy, /frame-ancestors 'none'/)
  for (const file of ['app.js', 'preact.mjs', 'preact-hooks.mjs', 'htm.mjs', 'console.css']) {
    const response = await fetch(`${p.url}/console/${file}`)
    t.equal(response.status, 200, file)
    t.equal((await fetch(`${p.url}/console/${file}`, { headers: { 'if-none-match': response.headers.get('etag')! } })).status, 304, `${file} revalidates`)
  }
  t.equal((await fetch(`${p.url}/console/routes.ts`)).status, 404, 'the server side is not served')
  t.equal((await fetch(`${p.url}/console/..%2Froutes.ts`)).status, 404)
  t.equal((await fetch(`${p.url}/api/docs`)).status, 200)
  t.equal((await fetch(`${p.url}/api/docs/swagger-ui-bundle.js`)).status, 200)
  t.equal((await fetch(`${p.url}/api/docs/index.html`)).status, 404, 'only the files the page uses')
})

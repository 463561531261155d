// SQLite pass only: what is tested is the browser's side; the same flows run through the HTTP API on both databases.
import t from 'tap'
import { launchBrowser, signInToConsole } from '../helpers/browser.ts'
import { startPluginPlatform } from '../helpers/plugins.ts'
import { publishFixture } from '../helpers/registry.ts'

const PASSWORD = 'mật-khẩu-của-dân'

t.test('a plugin\'s page, framed by the console, acts as the signed-in user on its plugin\'s routes, and only there', async (t) => {
  const p = await startPluginPlatform(t)
  t.equal((await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'dan', password: PASSWORD, displayName: 'Nguyễn Văn Dân', roles: ['member'] } })).status, 201)
  await publishFixture(p, p.admin, 'page-probe')
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/probe', { token: p.admin, body: { package: '@hn/page-probe', version: '1.0.0' } })).status, 200)
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await page.goto(`${p.url}/console/`)
  await page.getByLabel('Tên đăng nhập').fill('dan')
  await page.getByLabel('Mật khẩu').fill(PASSWORD)
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('heading', { name: 'Xin chào, Nguyễn Văn Dân' }).waitFor()
  await page.getByRole('link', { name: 'Mở trang probe' }).click()
  const frame = page.frameLocator('iframe.plugin-page')
  await frame.locator('#who').filter({ hasText: 'Nguyễn Văn Dân (dan)' }).waitFor()
  await frame.locator('#note').filter({ hasText: 'dan: Ghi chú từ trang' }).waitFor()
  t.pass('the page read who it acts for, and wrote as that user (a member-only route)')
  t.same(browser.errors, [], 'no errors in any browser console')
  // What the page holds is the page token, not the console's: ask the page's own origin what it can reach.
  const pageFrame = page.frames().find((f) => f.url().includes('/t/hn/probe/ui/'))!
  const leaked = await pageFrame.evaluate(`(async () => {
    const console = await fetch('/api/v1/me').then((r) => r.status, () => 'blocked')
    let storage = 'none'
    try { storage = String(window.localStorage.length) } catch { storage = 'blocked' }
    return { console, storage, origin: window.origin }
  })()`)
  t.same(leaked, { console: 'blocked', storage: 'blocked', origin: 'null' }, 'an opaque origin: the console API is out of its reach (no CORS), no storage')
  await browser.screenshot(page, '10-plugin-page-framed')
})

t.test('with a host of their own, the console frames the page from there, and the page still acts as the signed-in user', async (t) => {
  const { createServer } = await import('node:net')
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
  const consoleOrigin = `http://127.0.0.1:${port}`
  const pagesOrigin = `http://localhost:${port}`
  const p = await startPluginPlatform(t, { port, pagesOrigin, consoleOrigin })
  t.equal((await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'dan', password: PASSWORD, displayName: 'Nguyễn Văn Dân', roles: ['member'] } })).status, 201)
  await publishFixture(p, p.admin, 'page-probe')
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/probe', { token: p.admin, body: { package: '@hn/page-probe', version: '1.0.0' } })).status, 200)
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await signInToConsole(page, consoleOrigin, 'dan', PASSWORD)
  await page.getByRole('link', { name: 'Mở trang probe' }).click()
  const frame = page.frameLocator('iframe.plugin-page')
  await frame.locator('#note').filter({ hasText: 'dan: Ghi chú từ trang' }).waitFor()
  t.ok(page.frames().some((f) => f.url().startsWith(`${pagesOrigin}/t/hn/probe/ui/`)), 'the frame came from the pages host')
  t.same(browser.errors, [], 'no errors in any browser console')
  // Another site may not frame the page: its policy names the console's origin only.
  const headers = (await fetch(`${pagesOrigin}/t/hn/probe/ui/`)).headers
  t.match(headers.get('content-security-policy'), new RegExp(`frame-ancestors ${consoleOrigin.replace(/[.]/g, '\\.')};`))
})

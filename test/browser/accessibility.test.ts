// SQLite pass only: what is tested is the pages in the browser; the database under them does not change them.
import t from 'tap'
import { accessibilityProblems, launchBrowser, signInToConsole } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

t.test("axe-core finds no serious or critical WCAG 2.1 AA problem on the console's main pages, in Vietnamese and English", async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Thành phố Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/children', { token: admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' } })
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await page.goto(`${p.url}/console/`)
  await page.getByRole('button', { name: 'Đăng nhập' }).waitFor()
  const views = [
    ['home', '#/', 'heading', /^(Xin chào|Hello)/],
    ['units', '#/units', 'heading', /^(Đơn vị|Units)/],
    ['unit', '#/units/hn', 'heading', /Hà Nội/],
    ['unit users', '#/units/hn/users', 'form', /^(Tạo người dùng|Create a user)/],
    ['unit grants', '#/units/hn/grants', 'heading', /Hà Nội/],
    ['unit plugins', '#/units/hn/plugins', 'heading', /Hà Nội/],
    ['registry', '#/registry', 'heading', /./],
    ['audit', '#/audit', 'heading', /./],
    ['health', '#/health', 'heading', /./],
    ['review', '#/review/@vn/notices/1.0.0', 'heading', /notices/],
  ] as const
  for (const language of ['vi', 'en']) {
    const found: string[] = []
    const check = async (name: string): Promise<void> => {
      await page.waitForLoadState('networkidle')
      // What a reader unfolds is checked too: the review's files, with their coloured code.
      await page.evaluate(() => { for (const details of (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ open: boolean }> } }).document.querySelectorAll('details')) details.open = true })
      for (const problem of await accessibilityProblems(page)) found.push(`${name}: ${problem.rule} (${problem.impact}): ${problem.help} at ${problem.targets.join(', ')}`)
    }
    if (language === 'en') {
      await page.goto(`${p.url}/console/#/`)
      await page.getByRole('button', { name: 'English' }).click()
    } else {
      await check('sign-in')
      await signInToConsole(page, p.url, 'admin', ADMIN_PASSWORD)
    }
    for (const [name, hash, role, text] of views) {
      await page.goto(`${p.url}/console/${hash}`)
      await page.getByRole(role, { name: text }).first().waitFor()
      await check(name)
    }
    t.same(found, [], `${language}: ${views.length + (language === 'vi' ? 1 : 0)} pages checked`)
  }
})

t.test("a citizen's home on a phone: the unit's public services by name, each with one large way in; nothing for axe-core to flag", async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Thành phố Hà Nội' } })
  await p.call('POST', '/api/v1/tenants/hn/children', { token: admin, body: { code: 'hn-ba-dinh', name: 'Phường Ba Đình' } })
  await p.call('POST', '/api/v1/tenants/hn-ba-dinh/users', { token: admin, body: { username: 'le.thi.mai', password: 'mat-khau-cua-mai', displayName: 'Lê Thị Mai', roles: ['member'] } })
  const browser = await launchBrowser(t)
  const phone = await browser.newPage({ width: 390, height: 844 })
  await signInToConsole(phone, p.url, 'le.thi.mai', 'mat-khau-cua-mai')
  t.ok(await phone.getByText('Đơn vị của bạn: Phường Ba Đình, Thành phố Hà Nội').isVisible(), 'her unit by its full name')
  await phone.getByRole('heading', { name: 'Dịch vụ công của đơn vị' }).waitFor()
  const card = phone.getByRole('listitem').filter({ has: phone.getByRole('heading', { name: 'Thủ tục hành chính' }) })
  await card.waitFor()
  const way = card.getByRole('link', { name: 'Mở trang procedures' })
  const box = (await way.boundingBox())!
  t.ok(box.height >= 44 && box.width >= 44, `its way in is a large target (${Math.round(box.width)} × ${Math.round(box.height)} px)`)
  t.ok(await phone.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth <= 390), 'nothing wider than the phone')
  await browser.screenshot(phone, 'citizen-home-390')
  t.same((await accessibilityProblems(phone)).map((problem) => `${problem.rule}: ${problem.targets.join(', ')}`), [], 'axe-core: nothing serious or critical')
  await way.click()
  await phone.waitForURL(/#\/services\/hn-ba-dinh\/procedures/)
  t.pass('and it opens the service')
})

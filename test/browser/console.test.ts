// SQLite pass only: what is tested is the browser's side; the same flows run through the HTTP API on both databases.
import { join } from 'node:path'
import t from 'tap'
import { launchBrowser, signInToConsole } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'
import { examples } from '../helpers/plugins.ts'
import { folderEntries, helloPackage, permitsPackage, tgz } from '../helpers/tgz.ts'

const PASSWORD = 'console-password-1'

const signIn = signInToConsole

t.test('from an empty platform to a plugin page in a commune, all in the console', async (t) => {
  const p = await startTestPlatform(t)
  const browser = await launchBrowser(t)

  // admin signs in; the console speaks Vietnamese first, English on request.
  const admin = await browser.newPage()
  await signIn(admin, p.url, 'admin', ADMIN_PASSWORD)
  await admin.getByRole('button', { name: 'English' }).click()
  await admin.getByRole('heading', { name: /^Hello/ }).waitFor()
  t.ok(await admin.getByRole('link', { name: 'Plugin registry' }).isVisible(), 'English texts render')
  await browser.screenshot(admin, '01-admin-home-en')
  await admin.getByRole('button', { name: 'Tiếng Việt' }).click()
  await admin.getByRole('heading', { name: /^Xin chào/ }).waitFor()

  // admin creates hn under vn, then hn-ba-dinh under hn.
  await admin.goto(`${p.url}/console/#/units/vn`)
  const newChild = admin.getByRole('form', { name: 'Tạo đơn vị trực thuộc' })
  await newChild.getByLabel('Mã đơn vị', { exact: true }).fill('hn')
  await newChild.getByLabel('Tên đơn vị').fill('Hà Nội')
  await newChild.getByLabel('Mã đơn vị hành chính (không bắt buộc)').fill('01')
  await newChild.getByRole('button', { name: 'Tạo' }).click()
  await admin.getByRole('link', { name: 'Hà Nội' }).click()
  await admin.getByRole('heading', { name: /Hà Nội/ }).waitFor()
  await newChild.getByLabel('Mã đơn vị', { exact: true }).fill('hn-ba-dinh')
  await newChild.getByLabel('Tên đơn vị').fill('Phường Ba Đình')
  await newChild.getByRole('button', { name: 'Tạo' }).click()
  await admin.getByRole('link', { name: 'Phường Ba Đình' }).waitFor()

  // The unit tree finds it without diacritics.
  await admin.getByRole('link', { name: 'Đơn vị', exact: true }).click()
  await admin.getByLabel('Tìm đơn vị').fill('ba dinh')
  await admin.getByRole('button', { name: 'Tìm đơn vị' }).click()
  await admin.getByRole('link', { name: 'Phường Ba Đình' }).waitFor()
  await admin.getByRole('button', { name: 'Mở Việt Nam' }).click()
  await admin.getByRole('treeitem', { name: /Hà Nội/ }).waitFor()
  await browser.screenshot(admin, '02-unit-tree')

  // A tenant-admin (over hn and everything below) and a developer for hn.
  await admin.goto(`${p.url}/console/#/units/hn/users`)
  const newUser = admin.getByRole('form', { name: 'Tạo người dùng' })
  for (const [username, name, role] of [['hn-admin', 'Quản trị Hà Nội', ''], ['hn-dev', 'Lập trình viên Hà Nội', 'developer']] as const) {
    await newUser.getByLabel('Tên đăng nhập').fill(username)
    await newUser.getByLabel('Họ và tên').fill(name)
    await newUser.getByLabel('Mật khẩu (ít nhất 10 ký tự)').fill(PASSWORD)
    await newUser.getByLabel('Vai trò').selectOption(role)
    await newUser.getByRole('button', { name: 'Tạo' }).click()
    await admin.getByRole('cell', { name: username, exact: true }).waitFor()
  }
  // Disabling a user (its tokens revoked at once) and enabling it again.
  await admin.getByRole('button', { name: 'Khoá hn-dev' }).click()
  await admin.getByTestId('status-hn-dev').filter({ hasText: 'Đã khoá' }).waitFor()
  t.equal((await p.call('GET', '/api/v1/tenants/hn/users/hn-dev', { token: await p.signIn('admin', ADMIN_PASSWORD) })).body.disabled, true, 'disabled in the console, disabled for the API')
  t.equal((await p.call('POST', '/api/v1/auth/token', { body: { username: 'hn-dev', password: PASSWORD } })).status, 401, 'a disabled user cannot sign in')
  await admin.getByRole('button', { name: 'Mở khoá hn-dev' }).click()
  await admin.getByTestId('status-hn-dev').filter({ hasText: 'Đang hoạt động' }).waitFor()
  await admin.getByRole('link', { name: 'Phân quyền' }).click()
  const newGrant = admin.getByRole('form', { name: 'Cấp vai trò' })
  await newGrant.getByLabel('Tên đăng nhập').fill('hn-admin')
  await newGrant.getByLabel('Vai trò').selectOption('tenant-admin')
  await newGrant.getByLabel('Áp dụng cho cả đơn vị cấp dưới').check()
  await newGrant.getByRole('button', { name: 'Cấp vai trò' }).click()
  await admin.getByRole('button', { name: 'Thu hồi tenant-admin hn-admin' }).waitFor()
  const grants = (await p.call('GET', '/api/v1/tenants/hn/grants', { token: await p.signIn('admin', ADMIN_PASSWORD) })).body.items
  t.match(grants, [{ username: 'hn-dev', role: 'developer' }, { username: 'hn-admin', role: 'tenant-admin', includeDescendants: true }].sort((a, b) => a.username.localeCompare(b.username)), 'the grants made in the console are real')
  // A grant widened to the units below in place, not revoked and made again.
  await admin.getByRole('button', { name: 'Mở rộng xuống cấp dưới: developer hn-dev' }).click()
  await admin.getByRole('button', { name: 'Chỉ tại đơn vị này: developer hn-dev' }).waitFor()
  t.match((await p.call('GET', '/api/v1/tenants/hn/grants', { token: await p.signIn('admin', ADMIN_PASSWORD) })).body.items.find((g: { username: string }) => g.username === 'hn-dev'), { role: 'developer', includeDescendants: true }, 'widened')

  // The developer uploads a package through the console and cannot approve it.
  const developer = await browser.newPage()
  await signIn(developer, p.url, 'hn-dev', PASSWORD)
  await developer.getByRole('link', { name: 'Kho plugin' }).click()
  // First a package whose plugin.json has three mistakes: all three listed, in Vietnamese, the code on its own line.
  const broken = await tgz(folderEntries(join(examples, 'permits'), (m) => ({ ...m, version: 'mới', routes: [{ method: 'GET', path: 'no-slash', handler: 'list' }], permissions: { storage: true, bogus: 1 } })))
  await developer.getByLabel('Tệp gói').setInputFiles({ name: 'permits-bad.tgz', mimeType: 'application/gzip', buffer: broken })
  await developer.getByRole('button', { name: 'Tải lên gói plugin (.tgz)' }).click()
  const alert = developer.getByRole('alert').filter({ hasText: 'Tệp khai báo plugin.json chưa đúng' })
  await alert.waitFor()
  const mistakes = await alert.locator('li').allTextContents()
  t.equal(mistakes.length, 3, 'all three mistakes listed')
  t.match(mistakes[0], /^Phiên bản: số phiên bản dạng 1\.0\.0\.$/, 'each by the field\'s name, saying what is expected in words')
  t.match(mistakes[1], /^Trường permissions\/bogus: trường này không có trong lược đồ/)
  t.match(mistakes[2], /^Đường dẫn \(routes\/0\/path\): bắt đầu bằng \//)
  t.notMatch(await alert.locator('strong, li').allTextContents().then((texts) => texts.join(' ')), /\^|\$|\[a-z/, 'no pattern shown')
  t.match(await alert.textContent(), /REG_ERR_MANIFEST_INVALID/, 'the code on the detail line')
  // The same in English.
  await developer.getByRole('button', { name: 'English' }).click()
  await developer.getByLabel('Package file').setInputFiles({ name: 'permits-bad.tgz', mimeType: 'application/gzip', buffer: broken })
  await developer.getByRole('button', { name: 'Upload a plugin package (.tgz)' }).click()
  const englishAlert = developer.getByRole('alert').filter({ hasText: 'plugin.json' })
  await englishAlert.waitFor()
  t.match((await englishAlert.locator('li').allTextContents()).join('\n'), /^Version: a version number such as 1\.0\.0\.\nField permissions\/bogus: there is no such field here; remove it\.\nPath \(routes\/0\/path\): starting with \//, 'in English when English is chosen')
  await developer.getByRole('button', { name: 'Tiếng Việt' }).click()
  await developer.getByLabel('Tệp gói').setInputFiles({ name: 'permits-1.0.0.tgz', mimeType: 'application/gzip', buffer: await permitsPackage('1.0.0') })
  await developer.getByRole('button', { name: 'Tải lên gói plugin (.tgz)' }).click()
  await developer.getByRole('heading', { name: 'Duyệt @hn/permits@1.0.0' }).waitFor()
  t.equal(await developer.getByTestId('status').textContent(), 'Chờ duyệt')
  t.equal(await developer.getByRole('button', { name: 'Phê duyệt' }).count(), 0, 'a developer is shown no review button')

  // admin opens its review page from the pending list, sees its permissions and approves it.
  await admin.goto(`${p.url}/console/#/registry/pending`)
  await admin.getByRole('link', { name: 'Xem @hn/permits@1.0.0' }).click()
  await admin.getByRole('heading', { name: 'Duyệt @hn/permits@1.0.0' }).waitFor()
  t.match(await admin.getByTestId('permissions').textContent(), /storage/, 'the permissions it asks for are shown')
  t.match(await admin.getByTestId('permissions').textContent(), /Lưu dữ liệu riêng tại mỗi đơn vị/, 'in words a reviewer reads')
  t.match(await admin.getByRole('region', { name: 'Kiểm tra tự động' }).textContent(), /handlers \(đạt\)/, 'and the automated checks')
  await browser.screenshot(admin, '03-review')
  const approve = admin.getByRole('form', { name: 'Phê duyệt' })
  await approve.getByLabel('Nhận xét').fill('Đã xem xét quyền lưu trữ.')
  await approve.getByRole('button', { name: 'Phê duyệt' }).click()
  await admin.getByTestId('status').filter({ hasText: 'Đã duyệt' }).waitFor()

  // The hn tenant-admin installs it with inherit and a setting.
  const tenantAdmin = await browser.newPage()
  await signIn(tenantAdmin, p.url, 'hn-admin', PASSWORD)
  // Its grant form offers the roles it may grant there, never platform-admin.
  await tenantAdmin.goto(`${p.url}/console/#/units/hn/grants`)
  const roleSelect = tenantAdmin.getByRole('form', { name: 'Cấp vai trò' }).getByLabel('Vai trò')
  await roleSelect.locator('option', { hasText: 'member' }).waitFor({ state: 'attached' })
  const offered = await roleSelect.locator('option').allTextContents()
  t.ok(offered.includes('member') && offered.includes('tenant-admin'), `it offers what it may grant (${offered.join(', ')})`)
  t.notOk(offered.includes('platform-admin'), 'and not platform-admin')
  await tenantAdmin.goto(`${p.url}/console/#/units/hn/plugins`)
  const install = tenantAdmin.getByRole('form', { name: 'Cài plugin' })
  await install.getByLabel('Gói').selectOption('@hn/permits')
  await install.getByLabel('maxPerUser').fill('5')
  await install.getByLabel('Cho các đơn vị cấp dưới dùng chung (inherit)').check()
  await install.getByRole('button', { name: 'Cài plugin' }).click()
  const installation = tenantAdmin.getByRole('article', { name: 'permits' })
  await installation.getByTestId('installed-version').filter({ hasText: '1.0.0' }).waitFor()
  const adminToken = await p.signIn('hn-admin', PASSWORD)
  t.match((await p.call('GET', '/api/v1/tenants/hn/plugins', { token: adminToken })).body.items, [{ mount: 'permits', version: '1.0.0', inherit: true, settings: { maxPerUser: 5, feePerMonth: 100000 } }], 'installed with inherit and the setting')

  // ... and opens the plugin's page in hn-ba-dinh.
  await tenantAdmin.goto(`${p.url}/console/#/units/hn-ba-dinh/plugins`)
  await tenantAdmin.getByRole('heading', { name: 'Được kế thừa từ cấp trên' }).waitFor()
  const [pluginPage] = await Promise.all([
    tenantAdmin.context().waitForEvent('page'),
    tenantAdmin.getByRole('listitem').filter({ hasText: '@hn/permits' }).getByRole('link', { name: 'Mở trang' }).click(),
  ])
  await pluginPage.getByRole('heading', { name: /Giấy phép đỗ xe/ }).waitFor()
  t.equal(new URL(pluginPage.url()).pathname, '/t/hn-ba-dinh/permits/ui/')
  await pluginPage.getByText('POST /t/hn-ba-dinh/permits/permits:').waitFor()
  t.equal(await pluginPage.locator('#unit').textContent(), 'hn-ba-dinh', 'the page serves the commune')
  await browser.screenshot(pluginPage, '04-plugin-page')

  // A second version: the tenant-admin switches to it, then rolls back.
  const devToken = await p.signIn('hn-dev', PASSWORD)
  t.equal((await p.call('POST', '/api/v1/registry/packages', { token: devToken, raw: await permitsPackage('1.1.0'), headers: { 'content-type': 'application/gzip' } })).status, 201)
  // Its reviewer reads what changed since 1.0.0, line by line.
  await admin.goto(`${p.url}/console/#/registry/pending`)
  await admin.getByRole('link', { name: 'Xem @hn/permits@1.1.0' }).click()
  const diff = admin.getByTestId('diff-plugin.json')
  await diff.waitFor()
  t.match(await diff.textContent(), /\+\{"name":"@hn\/permits","version":"1\.1\.0"/, 'the changed line of plugin.json, in the diff')
  t.match(await admin.getByRole('region', { name: 'Mã nguồn của gói' }).textContent(), /So với phiên bản đã duyệt 1\.0\.0/)
  await browser.screenshot(admin, '05-review-diff')
  const reviewer = await p.signIn('admin', ADMIN_PASSWORD)
  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/permits/versions/1.1.0/approve', { token: reviewer, body: { comment: 'ok' } })).status, 200)
  await tenantAdmin.goto(`${p.url}/console/#/units/hn/plugins`)
  const switchForm = installation.getByRole('form', { name: 'Chuyển phiên bản' })
  await switchForm.getByLabel('Phiên bản').selectOption('1.1.0')
  await switchForm.getByRole('button', { name: 'Chuyển phiên bản' }).click()
  await installation.getByTestId('installed-version').filter({ hasText: '1.1.0' }).waitFor()
  await browser.screenshot(tenantAdmin, '05-switched')
  await installation.getByRole('button', { name: 'Quay lại 1.0.0' }).click()
  await installation.getByTestId('installed-version').filter({ hasText: '1.0.0' }).waitFor()
  const switches = (await p.call('GET', '/api/v1/tenants/hn/audit?action=plugin.switch', { token: adminToken })).body.items
  t.match(switches.map((e: any) => e.details.version), ['1.0.0', '1.1.0'], 'both switches are in the audit log, newest first')
  t.match((await p.call('GET', '/api/v1/tenants/hn/plugins', { token: adminToken })).body.items, [{ version: '1.0.0', settings: { maxPerUser: 5 } }], 'rolled back, the setting kept')

  await tenantAdmin.getByRole('button', { name: 'English' }).click()
  await tenantAdmin.getByRole('heading', { name: 'Installed plugins' }).waitFor()
  await tenantAdmin.getByRole('button', { name: 'Uninstall' }).waitFor()
  t.pass('English texts render on the plugins page')

  // admin's audit log (its chain verified) and the platform's health.
  await admin.goto(`${p.url}/console/#/audit`)
  await admin.getByTestId('chain').filter({ hasText: 'Chuỗi nguyên vẹn' }).waitFor()
  await admin.getByRole('cell', { name: 'registry.approve' }).first().waitFor()
  await browser.screenshot(admin, '06-audit')
  await admin.goto(`${p.url}/console/#/health`)
  await admin.getByTestId('ready').filter({ hasText: 'Có' }).waitFor()
  await admin.getByTestId('standby-tenant').filter({ hasText: /^(Có|Không)$/ }).waitFor()

  // The interactive API reference renders the platform's document.
  await admin.goto(`${p.url}/api/docs`)
  await admin.getByText('/api/v1/tenants/{code}/children').first().waitFor()
  await browser.screenshot(admin, '07-api-docs')

  // The browser reports the refused upload's 422 as a failed load; nothing else.
  t.same(browser.errors.filter((line) => !/#\/registry: Failed to load resource: the server responded with a status of 422/.test(line)), [], 'no other errors in any browser console')
})

t.test('a member sees no administrative page or button, and the API refuses each such action', async (t) => {
  const p = await startTestPlatform(t)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  t.equal((await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code: 'hn', name: 'Hà Nội' } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'dan', password: PASSWORD, displayName: 'Nguyễn Văn Dân', roles: ['member'] } })).status, 201)
  // hn offers a service with a page: hello, published, approved and installed over the API.
  t.equal((await p.call('POST', '/api/v1/tenants/hn/users', { token: admin, body: { username: 'hn-dev', password: PASSWORD, roles: ['developer'] } })).status, 201)
  const dev = await p.signIn('hn-dev', PASSWORD)
  t.equal((await p.call('POST', '/api/v1/registry/packages', { token: dev, raw: await helloPackage('1.0.0'), headers: { 'content-type': 'application/gzip' } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/registry/packages/hn/hello/versions/1.0.0/approve', { token: admin, body: {} })).status, 200)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/hello', { token: admin, body: { package: '@hn/hello', version: '1.0.0' } })).status, 200)
  const browser = await launchBrowser(t)

  // On a phone-sized screen, with the keyboard only.
  const page = await browser.newPage({ width: 390, height: 844 })
  await page.goto(`${p.url}/console/`)
  await page.getByLabel('Tên đăng nhập').waitFor()
  await page.keyboard.type('dan')
  await page.keyboard.press('Tab')
  await page.keyboard.type(PASSWORD)
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { name: 'Xin chào, Nguyễn Văn Dân' }).waitFor()
  await page.getByTestId('no-admin').waitFor()
  // The unit's services, with the link to hello's page, which the console frames.
  await page.getByRole('link', { name: 'Mở trang hello' }).click()
  await page.frameLocator('iframe.plugin-page').getByRole('heading', { name: /Xin chào/ }).waitFor()
  t.equal(new URL(page.url()).hash, '#/services/hn/hello', "a member opens its unit's service page in the console")
  t.equal(await page.locator('iframe.plugin-page').getAttribute('src'), '/t/hn/hello/ui/')
  await page.goto(`${p.url}/console/`)
  await page.getByTestId('no-admin').waitFor()
  const links = await page.getByRole('navigation', { name: 'Điều hướng chính' }).getByRole('link').allTextContents()
  t.same(links, ['Trang chính', 'Tài liệu API'], 'only the home page and the API reference')
  t.same(await page.getByRole('button').allTextContents(), ['English', 'Đăng xuất', 'Đổi mật khẩu'], 'no administrative button: languages, sign out, own password')
  const width = await page.evaluate('document.documentElement.scrollWidth') as number
  t.ok(width <= 390, `nothing overflows a phone-sized screen (${width}px)`)
  await browser.screenshot(page, '08-member-phone')
  for (const view of ['#/units', '#/units/hn/users', '#/registry', '#/audit', '#/health', '#/review/@vn/notices/1.0.0']) {
    await page.goto(`${p.url}/console/${view}`)
    await page.getByText('Không tìm thấy trang này.').waitFor()
  }

  // A member changes its own password in the console; the console keeps working with the new token.
  await page.goto(`${p.url}/console/`)
  await page.getByLabel('Mật khẩu hiện tại').fill(PASSWORD)
  await page.getByLabel('Mật khẩu mới (ít nhất 10 ký tự)').fill(`${PASSWORD}-new`)
  await page.getByRole('button', { name: 'Đổi mật khẩu' }).click()
  await page.getByRole('status').filter({ hasText: 'Đã lưu.' }).waitFor()
  t.equal((await p.call('POST', '/api/v1/auth/token', { body: { username: 'dan', password: PASSWORD } })).status, 401, 'the old password no longer works')
  await page.reload()
  await page.getByRole('heading', { name: 'Xin chào, Nguyễn Văn Dân' }).waitFor()

  const member = await p.signIn('dan', `${PASSWORD}-new`)
  const refusals: Array<[string, string, unknown?]> = [
    ['GET', '/api/v1/tenants/hn/users'],
    ['POST', '/api/v1/tenants/hn/users', { username: 'x-user', password: PASSWORD }],
    ['GET', '/api/v1/tenants/hn/children'],
    ['POST', '/api/v1/tenants/hn/children', { code: 'hn-x', name: 'X' }],
    ['GET', '/api/v1/tenants/hn/grants'],
    ['POST', '/api/v1/tenants/hn/grants', { username: 'dan', role: 'tenant-admin' }],
    ['GET', '/api/v1/tenants/hn/roles'],
    ['GET', '/api/v1/tenants/hn/search?q=h'],
    ['GET', '/api/v1/tenants/hn/plugins'],
    ['PUT', '/api/v1/tenants/hn/plugins/notices', { package: '@vn/notices', version: '1.0.0' }],
    ['GET', '/api/v1/tenants/hn/audit'],
    ['GET', '/api/v1/tenants/hcm/services'],
    ['GET', '/api/v1/tenants/vn/users'],
    ['GET', '/api/v1/audit/verification'],
    ['GET', '/api/v1/platform/status'],
    ['POST', '/api/v1/registry/packages/vn/notices/versions/1.0.0/revoke', { reason: 'no' }],
  ]
  for (const [method, path, body] of refusals) {
    const response = await p.call(method, path, { token: member, ...(body === undefined ? {} : { body }) })
    t.ok(response.status === 403 || response.status === 404, `${method} ${path} → ${response.status} ${response.body?.error?.code}`)
  }
  const services = await p.call('GET', '/api/v1/tenants/hn/services', { token: member })
  // The procedures every unit has from the first start, and the unit's own service.
  t.same(services.body.items.filter((item: { mount: string }) => item.mount !== 'procedures'), [{ mount: 'hello', package: '@hn/hello', version: '1.0.0', description: 'The smallest plugin: one public route that greets, and a page that shows the greeting.', pages: '/t/hn/hello/ui/' }], 'a member sees its unit\'s services, never their settings')
  t.match(services.body.items.find((item: { mount: string }) => item.mount === 'procedures'), { package: '@vn/procedures', pages: '/t/hn/procedures/ui/' })
  const upload = await p.call('POST', '/api/v1/registry/packages', { token: member, raw: await permitsPackage('9.0.0'), headers: { 'content-type': 'application/gzip' } })
  t.equal(upload.status, 403, 'a member cannot publish')
  t.same(browser.errors, [], 'no errors in the browser console')
})

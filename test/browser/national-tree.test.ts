// SQLite pass only: what is tested is the browser's side; the same flows run through the HTTP API on both databases.
import t from 'tap'
import { seedNationalTree } from '../../cli/demo/demo-tenants.ts'
import { launchBrowser, signInToConsole } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, startTestPlatform } from '../helpers/platform.ts'

// The console over the whole country: 34 provinces and 3,321 communes (shared/data), as `nentang demo --national`
// loads them. A platform administrator looks for a ward by its name typed without marks, pages through a long list,
// and reads every unit by its name, never its code.

t.test('the national tree: search by name without marks, names in full, a second page, breadcrumbs by name', async (t) => {
  const p = await startTestPlatform(t)
  t.equal(await seedNationalTree(p.platform.services.db), 3355)
  const api = await p.call('GET', '/api/v1/tenants/vn/search?q=phuong', { token: await p.signIn('admin', ADMIN_PASSWORD) })
  t.equal(api.body.items.length, 50)
  t.equal(api.body.next, 50, 'the API pages too')

  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await signInToConsole(page, p.url, 'admin', ADMIN_PASSWORD)
  await page.getByRole('link', { name: 'Đơn vị', exact: true }).click()
  await page.getByRole('button', { name: 'Mở Việt Nam' }).waitFor()
  t.equal(await page.getByRole('treeitem').count(), 1, 'one root')
  t.equal(await page.getByText('vn vn').count(), 0, 'named once, by its name')

  await page.getByRole('searchbox', { name: 'Tìm đơn vị' }).fill('ba dinh')
  await page.getByRole('button', { name: 'Tìm đơn vị' }).click()
  await page.getByRole('link', { name: 'Phường Ba Đình, Thành phố Hà Nội' }).waitFor()
  await page.getByRole('link', { name: 'Xã Ba Đình, Tỉnh Thanh Hóa' }).waitFor()
  t.equal(await page.getByText('vn/p01/c00004').count(), 0, 'no path of codes is shown')
  await browser.screenshot(page, '26-national-search')

  await page.getByRole('searchbox', { name: 'Tìm đơn vị' }).fill('phuong')
  await page.getByRole('button', { name: 'Tìm đơn vị' }).click()
  await page.getByText('50 đơn vị').waitFor()
  await page.getByRole('button', { name: 'Xem thêm' }).click()
  await page.getByText('100 đơn vị').waitFor()
  t.equal(await page.locator('ul.results > li').count(), 100, 'the second page is added to the first')

  await page.getByRole('link', { name: 'Phường Ba Đình, Thành phố Hà Nội' }).click()
  const crumbs = page.getByRole('navigation', { name: 'breadcrumb' })
  await crumbs.getByRole('link', { name: 'Thành phố Hà Nội' }).waitFor()
  t.equal((await crumbs.textContent())?.replace(/\s+/g, ' ').trim(), 'Việt Nam / Thành phố Hà Nội / Phường Ba Đình', 'breadcrumbs by name')
  t.same(browser.errors, [], 'no errors in the browser console')
})

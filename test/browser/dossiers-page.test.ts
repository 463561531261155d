// SQLite pass only: what is tested is the browser's side; the same flows run through the HTTP API on both databases.
import ExcelJS from 'exceljs'
import t from 'tap'
import { launchBrowser } from '../helpers/browser.ts'
import { examples, startPluginPlatform } from '../helpers/plugins.ts'
import { publishFixture } from '../helpers/registry.ts'

const PASSWORD = 'mật-khẩu-cán-bộ'
const pdf = Buffer.from('%PDF-1.4\n% Giấy phép\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')

t.test("the example's page, in Chromium, acts as the signed-in officer: applies with a paper, exports the register, downloads it", async (t) => {
  const p = await startPluginPlatform(t)
  t.equal((await p.call('POST', '/api/v1/tenants/hn/users', { token: p.admin, body: { username: 'canbo', password: PASSWORD, displayName: 'Trần Thị Bình', roles: ['member', 'officer'] } })).status, 201)
  await publishFixture(p, p.admin, `${examples}dossiers`.replace(/^.*\/examples\//, '../../../examples/'))
  t.equal((await p.call('PUT', '/api/v1/tenants/hn/plugins/dossiers', { token: p.admin, body: { package: '@hn/dossiers', version: '1.0.0' } })).status, 200)
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  await page.goto(`${p.url}/console/`)
  await page.getByLabel('Tên đăng nhập').fill('canbo')
  await page.getByLabel('Mật khẩu').fill(PASSWORD)
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('heading', { name: 'Xin chào, Trần Thị Bình' }).waitFor()
  await page.getByRole('link', { name: 'Mở trang dossiers' }).click()
  const frame = page.frameLocator('iframe.plugin-page')
  await frame.locator('#who').filter({ hasText: 'Xin chào Trần Thị Bình' }).waitFor()

  await frame.getByLabel('Tên hộ kinh doanh').fill('Cơm tấm Sài Gòn')
  await frame.getByLabel('Họ tên chủ hộ').fill('Nguyễn Thị Hoa')
  await frame.getByLabel('Số CCCD').fill('079190000123')
  await frame.getByLabel('Địa chỉ kinh doanh').fill('5 Phố Huế, Hai Bà Trưng')
  await frame.getByLabel(/Giấy tờ kèm theo/).setInputFiles({ name: 'Giấy phép.pdf', mimeType: 'application/pdf', buffer: pdf })
  await frame.getByRole('button', { name: 'Nộp hồ sơ' }).click()
  await frame.locator('#applied').filter({ hasText: /./ }).waitFor()
  t.equal(await frame.locator('#applied').textContent(), 'Đã nộp hồ sơ Cơm tấm Sài Gòn, kèm 1 tệp')
  await frame.locator('#dossiers li').filter({ hasText: 'Cơm tấm Sài Gòn (Nguyễn Thị Hoa): submitted, 1 tệp' }).waitFor()
  const stored = await p.platform.services.db.knex('plugin_files').where({ plugin: '@hn/dossiers' }).select('name', 'type', 'state')
  t.same(stored, [{ name: 'Giấy phép.pdf', type: 'application/pdf', state: 'kept' }], 'the paper was uploaded as the officer, and kept')

  await frame.getByRole('button', { name: 'Xuất Excel' }).click()
  const link = frame.getByRole('link', { name: /Tải so-dang-ky-ho-kinh-doanh\.xlsx \(1 hồ sơ\)/ })
  await link.waitFor()
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
  t.equal(download.suggestedFilename(), 'so-dang-ky-ho-kinh-doanh.xlsx')
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.readFile(await download.path())
  const sheet = workbook.worksheets[0]!
  t.same((sheet.getRow(1).values as unknown[]).slice(1), ['Ngày nhận', 'Tên hộ kinh doanh', 'Chủ hộ', 'Địa chỉ', 'Trạng thái'])
  t.same((sheet.getRow(2).values as unknown[]).slice(2), ['Cơm tấm Sài Gòn', 'Nguyễn Thị Hoa', '5 Phố Huế, Hai Bà Trưng', 'submitted'], 'the downloaded register holds the dossier')
  t.same(browser.errors, [], 'no errors in any browser console')
  await browser.screenshot(page, '11-dossiers-page')
})

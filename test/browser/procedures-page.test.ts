// SQLite pass only: what is tested is the browser's side; the same flows run through the HTTP API on both databases.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import t from 'tap'
import type { Page } from 'playwright-core'
import { launchBrowser } from '../helpers/browser.ts'
import { testPki } from '../helpers/pki.ts'
import type { PluginPlatform } from '../helpers/plugins.ts'
import { permit, units } from '../helpers/procedures.ts'

const PASSWORD = 'mật-khẩu-đủ-dài'
const pdf = Buffer.from('%PDF-1.4\n% Bản vẽ thiết kế\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')

/** Signs in on the console and opens the procedures' page of the user's unit in its frame. */
async function openProcedures (p: PluginPlatform, page: Page, username: string) {
  await page.goto(`${p.url}/console/`)
  await page.getByLabel('Tên đăng nhập').fill(username)
  await page.getByLabel('Mật khẩu').fill(PASSWORD)
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('link', { name: 'Mở trang procedures' }).click()
  const frame = page.frameLocator('iframe.plugin-page')
  await frame.locator('#who').filter({ hasText: 'Xin chào' }).waitFor()
  return frame
}

t.test('in Chromium: a ward administrator designs a procedure, a citizen files (told in Vietnamese what is missing, a PDF attached), an officer processes and signs, the citizen sees the result, the report and its Excel', async (t) => {
  const certs = testPki(t)
  const { dir } = certs
  const p = await units(t)
  const { as } = p
  const ward = '/t/hn-ba-dinh/procedures'
  t.equal((await p.call('POST', '/api/v1/tenants/hn/trust-anchors', { token: as.qtv, body: { name: 'CA thử nghiệm', certificate: certs.pem('ca1') } })).status, 201)
  t.equal((await p.call('POST', '/api/v1/me/certificates', { token: as.canbo, body: { certificate: certs.pem('binh') } })).status, 201)
  t.equal((await p.call('PUT', '/api/v1/tenants/hn-ba-dinh/seal', { token: as.qtvbd, body: { certificate: certs.pem('seal'), privateKey: readFileSync(join(dir, 'seal.key'), 'utf8') } })).status, 200)

  const browser = await launchBrowser(t)

  // The ward's administrator builds the procedure in the designer: five fields, the usual steps, the grant signed.
  const adminPage = await browser.newPage()
  const admin = await openProcedures(p, adminPage, 'qtvbd')
  await admin.getByRole('link', { name: 'Quản trị thủ tục' }).click()
  await admin.getByRole('link', { name: 'Tạo thủ tục mới' }).click()
  await admin.getByLabel('Mã thủ tục').fill(permit.code)
  await admin.getByLabel('Tên thủ tục').fill(permit.name.vi)
  const designed: Array<[string, string, boolean]> = [['Ngày khởi công', 'date', true], ['Loại công trình', 'choice', true], ['Bản vẽ', 'file', true], ['Dự toán', 'money', false], ['Địa bàn', 'unit', true]]
  for (const [i, [label, type, required]] of designed.entries()) {
    await admin.getByRole('button', { name: 'Thêm trường' }).click()
    const field = admin.getByRole('group', { name: `Trường ${i + 1}` })
    await field.getByLabel('Nhãn', { exact: true }).fill(label)
    await field.getByLabel('Kiểu').selectOption(type)
    if (required) await admin.getByRole('group', { name: `Trường ${i + 1}` }).getByLabel('Bắt buộc').check()
  }
  await admin.getByRole('group', { name: 'Trường 2' }).getByLabel(/Lựa chọn/).fill('sua-chua | Sửa chữa\ncai-tao | Cải tạo')
  // A second section holds a repeating group: the people who apply together, a name on each row.
  await admin.getByRole('button', { name: 'Thêm phần' }).click()
  const second = admin.getByRole('group', { name: 'Phần 2' })
  await second.getByLabel('Tiêu đề phần', { exact: true }).fill('Người cùng đứng tên')
  await second.getByRole('button', { name: 'Thêm trường', exact: true }).click()
  const members = second.getByRole('group', { name: 'Trường 1' })
  await members.getByLabel('Nhãn', { exact: true }).fill('Thành viên')
  await members.getByLabel('Kiểu').selectOption('group')
  await members.getByRole('button', { name: 'Thêm trường vào nhóm' }).click()
  await members.getByRole('group', { name: 'Trường con 1' }).getByLabel('Nhãn', { exact: true }).fill('Họ và tên')
  await admin.getByRole('complementary', { name: 'Xem trước' }).getByRole('heading', { name: 'Người cùng đứng tên' }).waitFor()
  await admin.getByRole('group', { name: 'Duyệt' }).getByLabel('Cần chữ ký số').check()
  const preview = admin.getByRole('complementary', { name: 'Xem trước' })
  await preview.getByLabel('Địa bàn: Tỉnh, thành phố').waitFor()
  await preview.getByRole('heading', { name: 'Xem trước' }).scrollIntoViewIfNeeded()
  await browser.screenshot(adminPage, '19-procedures-designer')
  await admin.getByRole('img').first().scrollIntoViewIfNeeded()
  await browser.screenshot(adminPage, '19-procedures-workflow')
  await admin.getByRole('button', { name: 'Công bố' }).click()
  await admin.getByRole('link', { name: permit.name.vi }).waitFor()
  const built = (await p.call('GET', `${ward}/procedures/${permit.code}`, { token: as.qtvbd })).body.published
  t.same(built.form.sections[0].fields.map((f: { name: string, type: string, required?: boolean }) => [f.name, f.type, f.required === true]),
    [['ngayKhoiCong', 'date', true], ['loaiCongTrinh', 'choice', true], ['banVe', 'file', true], ['duToan', 'money', false], ['diaBan', 'unit', true]], 'the five fields, named from their labels')
  t.match(built.form.sections[1], { title: { vi: 'Người cùng đứng tên' }, fields: [{ name: 'thanhVien', type: 'group', fields: [{ name: 'hoVaTen', type: 'text' }] }] }, 'the second section and its group')
  t.match(built.workflow.transitions, [{ action: 'nhan' }, { action: 'duyet', requireSignature: true }, { action: 'tu-choi', requireComment: true }])

  const citizen = await browser.newPage()
  await citizen.setViewportSize({ width: 390, height: 844 })
  const page = await openProcedures(p, citizen, 'dan')
  await page.getByRole('link', { name: 'Cấp phép sửa chữa nhà ở' }).click()
  await page.getByRole('heading', { name: 'Cấp phép sửa chữa nhà ở' }).waitFor()

  // Filed without the start date: told in Vietnamese, beside the field, before anything is sent.
  await page.getByLabel('Loại công trình *').selectOption('sua-chua')
  await page.getByLabel('Dự toán').fill('250000000')
  await page.getByLabel('Địa bàn: Tỉnh, thành phố').selectOption({ label: 'Thành phố Hà Nội' })
  await page.getByLabel('Địa bàn: Xã, phường').selectOption({ label: 'Phường Ba Đình' })
  await page.getByLabel('Bản vẽ *').setInputFiles({ name: 'Bản vẽ.pdf', mimeType: 'application/pdf', buffer: pdf })
  await page.getByText('Đã tải lên: Bản vẽ.pdf').waitFor()
  await page.getByRole('button', { name: 'Nộp hồ sơ' }).click()
  await page.locator('#f-ngayKhoiCong-error').filter({ hasText: 'Trường “Ngày khởi công” là bắt buộc' }).waitFor()
  t.equal(await page.getByLabel('Ngày khởi công *').getAttribute('aria-invalid'), 'true', 'the field is marked')
  await browser.screenshot(citizen, '20-procedures-missing-field')
  t.same(await p.platform.services.db.knex('plugin_documents').where({ plugin: '@vn/procedures', collection: 'dossiers' }).count({ n: '*' }).then((rows) => Number(rows[0]!.n)), 0, 'nothing filed')

  await page.getByLabel('Ngày khởi công *').fill('2026-12-15')
  await page.getByRole('button', { name: 'Thêm dòng' }).click()
  await page.getByLabel('Họ và tên').fill('Trần Thị Bình')
  await page.getByRole('button', { name: 'Nộp hồ sơ' }).click()
  const heading = page.getByRole('heading', { name: /^Cấp phép sửa chữa nhà ở: HN-BA-DINH-/ })
  await heading.waitFor()
  const receipt = (await heading.textContent())!.split(': ')[1]!
  await page.getByRole('link', { name: 'Bản vẽ.pdf' }).waitFor()
  await page.getByText('Họ và tên: Trần Thị Bình').waitFor()
  await browser.screenshot(citizen, '21-procedures-filed')

  // The officer finds it in the inbox without typing marks, takes it in, then signs the grant.
  const officerPage = await browser.newPage()
  const officer = await openProcedures(p, officerPage, 'canbo')
  await officer.getByRole('link', { name: 'Hộp việc' }).click()
  await officer.getByLabel('Tìm theo mã hồ sơ hoặc tên người nộp').fill('nguyen van an')
  await officer.getByRole('button', { name: 'Tìm' }).click()
  await officer.getByRole('link', { name: receipt }).click()
  await officer.getByRole('button', { name: 'Nhận hồ sơ' }).click()
  await officer.getByText('Trạng thái: Thẩm định').waitFor()
  const [id] = (await p.call('GET', `${ward}/dossiers?view=mine`, { token: as.dan })).body.items.map((d: { _id: string }) => d._id)
  // What the signing tool signs is what the page offers to download; Bình signs it with his own key.
  const [download] = await Promise.all([officerPage.waitForEvent('download'), officer.getByRole('link', { name: 'Tải nội dung cần ký' }).click()])
  const content = readFileSync(await download.path(), 'utf8')
  t.equal(content, (await p.call('GET', `${ward}/dossiers/${id}/signing?action=duyet`, { token: as.canbo })).body.canonical, 'the content offered is the canonical one')
  await officer.getByLabel('Tệp chữ ký (.p7s) của nội dung cần ký').setInputFiles({ name: 'ky.p7s', mimeType: 'application/pkcs7-signature', buffer: Buffer.from(certs.sign(content, 'an'), 'base64') })
  await officer.getByRole('button', { name: 'Duyệt' }).click()
  await officer.getByText(/Chứng thư số không phải của người đang xử lý hồ sơ/).waitFor()
  t.pass("An's certificate is refused for Bình, and said so")
  // Then with his own PKCS#12 file, opened and used in the page: first the wrong password, then the right one.
  const p12 = { name: 'Tran Thi Binh.p12', mimeType: 'application/x-pkcs12', buffer: certs.p12('binh', 'mật khẩu ký số') }
  await officer.getByLabel('Tệp chữ ký (.p7s) của nội dung cần ký').setInputFiles([])
  await officer.getByLabel('Tệp chứng thư số của bạn (.p12, .pfx)').setInputFiles(p12)
  await officer.getByLabel('Mật khẩu của tệp').fill('sai mật khẩu')
  await officer.getByRole('button', { name: 'Duyệt' }).click()
  await officer.getByText('Không thực hiện được: sai mật khẩu của tệp chứng thư số').waitFor()
  await officer.getByLabel('Mật khẩu của tệp').fill('mật khẩu ký số')
  await officer.getByRole('button', { name: 'Duyệt' }).click()
  await officer.getByText('Trạng thái: Đã giải quyết').waitFor()
  await browser.screenshot(officerPage, '22-procedures-signed')

  // The citizen sees the result, sealed by the ward.
  await page.getByRole('link', { name: 'Hồ sơ của tôi' }).click()
  await page.getByRole('link', { name: receipt }).click()
  await page.getByText('Trạng thái: Đã giải quyết').waitFor()
  await page.getByRole('heading', { name: 'Kết quả' }).waitFor()
  t.equal(await page.getByRole('link', { name: 'Chữ ký số (.p7s)' }).count(), 2, 'the officer\'s signature and the ward\'s seal')
  await browser.screenshot(citizen, '23-procedures-result')

  // The report counts it by state; the Excel export holds it.
  await officer.getByRole('link', { name: 'Báo cáo' }).click()
  await officer.getByRole('button', { name: 'Xem báo cáo' }).click()
  await officer.getByRole('cell', { name: 'da-giai-quyet' }).waitFor()
  t.equal(await officer.getByRole('row').filter({ hasText: 'da-giai-quyet' }).getByRole('cell').last().textContent(), '1')
  await officer.getByRole('button', { name: 'Xuất Excel' }).click()
  const link = officer.getByRole('link', { name: /\.xlsx \(1 hồ sơ\)/ })
  await link.waitFor()
  const [excel] = await Promise.all([officerPage.waitForEvent('download'), link.click()])
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.readFile(await excel.path())
  t.same((workbook.worksheets[0]!.getRow(2).values as unknown[]).slice(1, 4), [receipt, permit.code, 'Nguyễn Văn An'], 'the downloaded report holds the dossier')
  await browser.screenshot(officerPage, '24-procedures-report')
  // Hồ Chí Minh City's people see nothing of it in their own page, and Hà Nội's pages are not theirs to open.
  const outsiderPage = await browser.newPage()
  const outsider = await openProcedures(p, outsiderPage, 'sg')
  await outsider.getByText('Chưa có gì.').waitFor()
  await outsider.getByRole('link', { name: 'Hộp việc' }).click()
  await outsider.getByRole('heading', { name: 'Đang chờ xử lý' }).waitFor()
  t.equal(await outsider.getByRole('link', { name: receipt }).count(), 0, "not in hcm's inbox")
  t.equal((await fetch(`${p.url}${ward}/procedures`, { headers: { authorization: `Bearer ${as.sg}` } })).status, 404, "nor through Hà Nội's routes")
  await browser.screenshot(outsiderPage, '25-procedures-other-province')

  // The one answer Chromium logs as an error is the refused signature's 422, which the page showed.
  t.equal(browser.errors.length, 1, 'no other errors in any browser console')
  t.match(browser.errors[0], /status of 422/)
})

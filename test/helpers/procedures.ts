import type { Test } from 'tap'
import { startPluginPlatform, type PluginPlatform } from './plugins.ts'

const PASSWORD = 'mật-khẩu-đủ-dài'

/** A ward's procedure: five fields (a required date, a choice, a PDF, money, a unit), its grant a signed step. */
export const permit = {
  code: 'cap-phep-sua-nha',
  name: { vi: 'Cấp phép sửa chữa nhà ở', en: 'House repair permit' },
  sector: 'Xây dựng',
  timeLimitDays: 15,
  fee: 75_000,
  form: {
    sections: [
      {
        title: { vi: 'Thông tin công trình', en: 'The works' },
        fields: [
          { name: 'ngayKhoiCong', type: 'date', required: true, label: { vi: 'Ngày khởi công', en: 'Start date' } },
          { name: 'loaiCongTrinh', type: 'choice', required: true, label: { vi: 'Loại công trình', en: 'Kind of works' }, options: [{ value: 'sua-chua', label: { vi: 'Sửa chữa', en: 'Repair' } }, { value: 'cai-tao', label: { vi: 'Cải tạo', en: 'Renovation' } }] },
          { name: 'banVe', type: 'file', required: true, label: { vi: 'Bản vẽ', en: 'Drawings' }, accept: ['application/pdf'], maxBytes: 5_000_000 },
          { name: 'duToan', type: 'money', label: { vi: 'Dự toán', en: 'Estimate' }, max: 10_000_000_000 },
          { name: 'diaBan', type: 'unit', required: true, label: { vi: 'Địa bàn', en: 'Ward' } },
        ],
      },
    ],
  },
  workflow: {
    initial: 'tiep-nhan',
    states: [
      { name: 'tiep-nhan', label: { vi: 'Tiếp nhận', en: 'Received' }, deadlineDays: 2 },
      { name: 'tham-dinh', label: { vi: 'Thẩm định', en: 'Review' }, deadlineDays: 10 },
      { name: 'da-cap', label: { vi: 'Đã cấp phép', en: 'Granted' }, outcome: 'approved' },
      { name: 'tu-choi', label: { vi: 'Từ chối', en: 'Refused' }, outcome: 'rejected' },
    ],
    transitions: [
      { from: 'tiep-nhan', action: 'nhan', to: 'tham-dinh', roles: ['officer'], label: { vi: 'Nhận hồ sơ', en: 'Accept' } },
      { from: 'tham-dinh', action: 'cap-phep', to: 'da-cap', roles: ['officer'], requireSignature: true, label: { vi: 'Ký cấp phép', en: 'Sign the permit' } },
      { from: 'tham-dinh', action: 'tu-choi', to: 'tu-choi', roles: ['officer'], requireComment: true, label: { vi: 'Từ chối', en: 'Refuse' } },
    ],
  },
}

/** A procedure whose steps map one to one onto the portal's statuses 1, 2, 4, 9, 10 (the portal sync's tests). */
export const copyProcedure = {
  code: 'cap-ban-sao',
  name: { vi: 'Cấp bản sao từ sổ gốc', en: 'Copies from the original register' },
  form: { sections: [{ title: { vi: 'Người yêu cầu' }, fields: [{ name: 'hoTen', type: 'text', required: true, label: { vi: 'Họ và tên' } }] }] },
  workflow: {
    initial: 'moi',
    states: [
      { name: 'moi', label: { vi: 'Mới nộp' } },
      { name: 'tiep-nhan', label: { vi: 'Đã tiếp nhận' } },
      { name: 'xu-ly', label: { vi: 'Đang xử lý' } },
      { name: 'da-xu-ly', label: { vi: 'Đã xử lý xong' } },
      { name: 'tra-ket-qua', label: { vi: 'Đã trả kết quả' }, outcome: 'approved' },
    ],
    transitions: [
      { from: 'moi', action: 'nhan', to: 'tiep-nhan', roles: ['officer'], label: { vi: 'Tiếp nhận' } },
      { from: 'tiep-nhan', action: 'xu-ly', to: 'xu-ly', roles: ['officer'], label: { vi: 'Xử lý' } },
      { from: 'xu-ly', action: 'duyet', to: 'da-xu-ly', roles: ['officer'], label: { vi: 'Duyệt' } },
      { from: 'da-xu-ly', action: 'tra', to: 'tra-ket-qua', roles: ['officer'], label: { vi: 'Trả kết quả' } },
    ],
  },
}

/** Hà Nội and two of its wards, their people, and Hồ Chí Minh City's. */
export async function units (t: Test): Promise<PluginPlatform & { as: Record<string, string> }> {
  const p = await startPluginPlatform(t)
  for (const [code, name] of [['hn-ba-dinh', 'Phường Ba Đình'], ['hn-hoan-kiem', 'Phường Hoàn Kiếm']]) {
    t.equal((await p.call('POST', '/api/v1/tenants/hn/children', { token: p.admin, body: { code, name } })).status, 201)
  }
  const people: Array<[string, string, string, string[]]> = [
    ['qtvbd', 'hn-ba-dinh', 'Đỗ Thị Giang', ['tenant-admin']],
    ['dan', 'hn-ba-dinh', 'Nguyễn Văn An', ['member']],
    ['canbo', 'hn-ba-dinh', 'Trần Thị Bình', ['officer']],
    ['canbo2', 'hn-ba-dinh', 'Lê Văn Cường', ['officer']],
    ['hk', 'hn-hoan-kiem', 'Vũ Thị Hoa', ['member']],
    ['tinh', 'hn', 'Phạm Thị Dung', []],
    ['qtv', 'hn', 'Hoàng Văn Em', []],
    ['sg', 'hcm', 'Lý Văn Sang', ['member', 'officer']],
  ]
  const as: Record<string, string> = {}
  for (const [username, unit, displayName, roles] of people) {
    const created = await p.call('POST', `/api/v1/tenants/${unit}/users`, { token: p.admin, body: { username, password: PASSWORD, displayName, roles } })
    if (created.status !== 201) throw new Error(JSON.stringify(created.body))
  }
  for (const [username, role] of [['tinh', 'officer'], ['qtv', 'tenant-admin']]) {
    const granted = await p.call('POST', '/api/v1/tenants/hn/grants', { token: p.admin, body: { username, role, includeDescendants: true } })
    if (granted.status !== 201) throw new Error(JSON.stringify(granted.body))
  }
  for (const [username] of people) as[username] = await p.signIn(username, PASSWORD)
  return { ...p, as }
}

import type { Test } from 'tap'
import { startPluginPlatform, type PluginPlatform } from './plugins.ts'

const PASSWORD = 'mật-khẩu-đủ-dài'

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

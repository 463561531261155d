import { readFileSync } from 'node:fs'
import { appendAudit } from '../../core/audit/audit-log.ts'
import { generatePassword } from '../../core/auth/passwords.ts'
import { transaction, type Database } from '../../core/db/database.ts'
import type { ChangeFeed } from '../../core/events/change-feed.ts'
import { createGrant } from '../../core/tenancy/grants.ts'
import { createTenant, findTenant } from '../../core/tenancy/tenants.ts'
import { createUser } from '../../core/tenancy/users.ts'

interface AdminUnits {
  provinces: Array<{ code: string, name: string, communes: Array<{ code: string, name: string }> }>
}

/** Vietnam's 34 provinces and 3,321 communes after the 2025 reform (see data/README.md for source and licence). */
export function loadAdminUnits (): AdminUnits {
  return JSON.parse(readFileSync(new URL('./data/vn-admin-units-2025.json', import.meta.url), 'utf8')) as AdminUnits
}

const demoTree = [
  { code: 'hn', unit: '01', children: [{ code: 'hn-ba-dinh', unit: '00004' }, { code: 'hn-hoan-kiem', unit: '00070' }] },
  { code: 'hcm', unit: '79', children: [{ code: 'hcm-ben-thanh', unit: '26743' }] },
]

const demoUsers = [
  { username: 'hn-admin', tenant: 'hn', role: 'tenant-admin', includeDescendants: true, displayName: 'Quản trị Hà Nội' },
  { username: 'hn-dev', tenant: 'hn', role: 'developer', includeDescendants: false, displayName: 'Lập trình viên Hà Nội' },
  { username: 'ba-dinh-officer', tenant: 'hn-ba-dinh', role: 'officer', includeDescendants: false, displayName: 'Cán bộ Ba Đình' },
  { username: 'ba-dinh-citizen', tenant: 'hn-ba-dinh', role: 'member', includeDescendants: false, displayName: 'Nguyễn Văn An' },
  { username: 'hcm-admin', tenant: 'hcm', role: 'tenant-admin', includeDescendants: true, displayName: 'Quản trị TP. Hồ Chí Minh' },
]

export interface DemoCredential {
  username: string
  password: string
  tenant: string
  role: string
}

/**
 * Demo tenants (Hà Nội and TP. Hồ Chí Minh with a few communes, named from the official list) and
 * one user per role with a generated password. Returns the credentials to print, or nothing when
 * the demo tenants already exist.
 */
export async function seedDemoTenants (db: Database, changes: ChangeFeed): Promise<DemoCredential[]> {
  if (await findTenant(db, 'hn') !== undefined) return []
  const units = loadAdminUnits()
  const nameOf = (code: string): string => {
    for (const province of units.provinces) {
      if (province.code === code) return province.name
      const commune = province.communes.find((c) => c.code === code)
      if (commune !== undefined) return commune.name
    }
    throw new Error(`no administrative unit ${code}`)
  }
  return transaction(db, async (trx) => {
    const root = await findTenant(db, 'vn')
    if (root === undefined) throw new Error('bootstrap first: tenant vn is missing')
    const tenants = new Map([[root.code, root]])
    for (const province of demoTree) {
      const created = await createTenant(trx, root, { code: province.code, name: nameOf(province.unit), adminUnitCode: province.unit })
      tenants.set(created.code, created)
      for (const commune of province.children) {
        tenants.set(commune.code, await createTenant(trx, created, { code: commune.code, name: nameOf(commune.unit), adminUnitCode: commune.unit }))
      }
    }
    const credentials: DemoCredential[] = []
    for (const spec of demoUsers) {
      const tenant = tenants.get(spec.tenant)!
      const password = generatePassword()
      const user = await createUser(trx, changes, tenant, { username: spec.username, password, displayName: spec.displayName })
      await createGrant(trx, changes, user, spec.role, tenant, spec.includeDescendants)
      credentials.push({ username: spec.username, password, tenant: spec.tenant, role: spec.role })
    }
    await appendAudit(trx, { actor: null, action: 'demo.seed', details: { tenants: [...tenants.keys()], users: demoUsers.map((u) => u.username) } })
    return credentials
  })
}

/**
 * Every province and commune of Vietnam as a tenant (`p01`, `c00004`…), under `vn`; units that
 * already have a tenant (the demo's `hn`, `hn-ba-dinh`…) are kept and used as parents. One
 * transaction per province; `progress` is told after each. Returns how many tenants it created.
 */
export async function seedNationalTree (db: Database, progress: (done: number, total: number) => void = () => {}): Promise<number> {
  const units = loadAdminUnits()
  const root = await findTenant(db, 'vn')
  if (root === undefined) throw new Error('bootstrap first: tenant vn is missing')
  const existing = new Map<string, string>()
  for (const row of await db.knex('tenants').whereNotNull('admin_unit_code').select('admin_unit_code', 'code')) existing.set(String(row.admin_unit_code), String(row.code))
  const total = units.provinces.reduce((n, p) => n + 1 + p.communes.length, 0)
  let done = 0
  let created = 0
  for (const province of units.provinces) {
    // Read before the transaction: on SQLite the database's one connection belongs to it meanwhile.
    const known = existing.has(province.code) ? await findTenant(db, existing.get(province.code)!) : undefined
    await transaction(db, async (trx) => {
      let parent = known
      if (parent === undefined) {
        parent = await createTenant(trx, root, { code: `p${province.code}`, name: province.name, adminUnitCode: province.code })
        created++
      }
      for (const commune of province.communes) {
        if (!existing.has(commune.code)) {
          await createTenant(trx, parent, { code: `c${commune.code}`, name: commune.name, adminUnitCode: commune.code })
          created++
        }
      }
      await appendAudit(trx, { actor: null, action: 'demo.national-tree', tenant: parent.code, details: { province: province.code, communes: province.communes.length } })
    })
    done += 1 + province.communes.length
    progress(done, total)
  }
  return created
}

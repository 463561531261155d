import { join } from 'node:path'
import { installFromFolder, type LocalInstall } from '../../registry/local-install.ts'
import { findTenant } from '../../core/tenancy/tenants.ts'
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from './platform.ts'
import type { StartOptions } from '../../platform/start.ts'

export const fixtures = new URL('../fixtures/plugins/', import.meta.url).pathname
export const examples = new URL('../../examples/', import.meta.url).pathname

export interface PluginPlatform extends TestPlatform {
  admin: string
  install(tenant: string, mount: string, folder: string, extra?: Partial<LocalInstall>): Promise<void>
}

/** A test platform with tenants `hn` and `hcm` under `vn`, and a way to install plugin folders. */
export async function startPluginPlatform (t: { teardown(fn: () => unknown): void }, overrides = {}, options: StartOptions = {}): Promise<PluginPlatform> {
  const p = await startTestPlatform(t, overrides, undefined, options)
  const admin = await p.signIn('admin', ADMIN_PASSWORD)
  for (const code of ['hn', 'hcm']) await p.call('POST', '/api/v1/tenants/vn/children', { token: admin, body: { code, name: code } })
  const { table, supervisor } = p.platform.services.plugins
  return {
    ...p,
    admin,
    async install (tenantCode, mount, folder, extra = {}) {
      const tenant = await findTenant(p.platform.services.db, tenantCode)
      if (tenant === undefined) throw new Error(`no tenant ${tenantCode}`)
      installFromFolder(table, supervisor, { tenant, mount, folder: folder.startsWith('/') ? folder : join(fixtures, folder), ...extra })
    },
  }
}

import type { Database } from '../core/db/database.ts'
import { BUILT_IN_ROLES, type RoleCatalog } from '../core/tenancy/roles.ts'
import type { Manifest } from './manifest.ts'

/**
 * Roles at a tenant: the built-in ones and those declared (`roles` in plugin.json) by the approved
 * plugin versions installed at the tenant, or above it with `inherit`. A role can be granted only
 * where a plugin that uses it runs.
 */
export function createPluginRoleCatalog (db: Database): RoleCatalog {
  return {
    async rolesAt (tenant) {
      const roles = new Set<string>(BUILT_IN_ROLES)
      const rows = await db.knex('installations as i')
        .join('tenants as t', 't.id', 'i.tenant_id')
        .join('registry_versions as v', function () { this.on('v.name', '=', 'i.name').andOn('v.version', '=', 'i.version') })
        .whereIn('t.code', tenant.path.split('/'))
        .andWhere('v.status', 'approved')
        .select('t.code as tenant_code', 'i.inherit', 'v.manifest')
      for (const row of rows) {
        if (row.tenant_code !== tenant.code && row.inherit !== true && row.inherit !== 1) continue
        for (const role of (JSON.parse(String(row.manifest)) as Manifest).roles ?? []) roles.add(role)
      }
      return roles
    },
  }
}

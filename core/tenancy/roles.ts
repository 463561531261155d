/** The built-in roles (SPEC §5). Plugins may declare more; until then these are all a grant may name. */
export const BUILT_IN_ROLES = ['platform-admin', 'tenant-admin', 'developer', 'officer', 'member'] as const
export type BuiltInRole = typeof BUILT_IN_ROLES[number]

export const ROOT_TENANT = 'vn'
/** Roles that only their own holders may grant; a tenant-admin grants every other role. */
export const ADMIN_ROLES: readonly string[] = ['platform-admin', 'tenant-admin']
/** Roles that exist only at the root tenant. */
export const ROOT_ONLY_ROLES: readonly string[] = ['platform-admin']

export function isKnownRole (role: string): boolean {
  return (BUILT_IN_ROLES as readonly string[]).includes(role)
}

/** The built-in roles (SPEC §5). Plugins may declare more; until then these are all a grant may name. */
export const BUILT_IN_ROLES = ['platform-admin', 'tenant-admin', 'developer', 'officer', 'member'] as const
export type BuiltInRole = typeof BUILT_IN_ROLES[number]

export const ROOT_TENANT = 'vn'
/** Roles that exist only at the root tenant. */
export const ROOT_ONLY_ROLES: readonly string[] = ['platform-admin']

export function isKnownRole (role: string): boolean {
  return (BUILT_IN_ROLES as readonly string[]).includes(role)
}

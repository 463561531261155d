/** The built-in roles (SPEC §5). Plugins may declare more; until then these are all a grant may name. */
export const BUILT_IN_ROLES = ['platform-admin', 'tenant-admin', 'developer', 'officer', 'member'] as const
export type BuiltInRole = typeof BUILT_IN_ROLES[number]

export const ROOT_TENANT = 'vn'
/** A role's name, built in or a plugin's: a lower-case letter, then lower-case letters, digits and dashes. */
export const ROLE_PATTERN = '^[a-z][a-z0-9-]{1,62}$'
/** Roles that only their own holders may grant; a tenant-admin grants every other role. */
export const ADMIN_ROLES: readonly string[] = ['platform-admin', 'tenant-admin']
/** Roles that exist only at the root tenant. */
export const ROOT_ONLY_ROLES: readonly string[] = ['platform-admin']

/** The roles that exist at a tenant: the built-in ones, and those its installed plugins declare. */
export interface RoleCatalog {
  rolesAt(tenant: { code: string, path: string }): Promise<ReadonlySet<string>>
}

const builtIn: ReadonlySet<string> = new Set(BUILT_IN_ROLES)

/** The catalogue of a platform without plugins: the built-in roles everywhere. */
export const builtInRoles: RoleCatalog = { rolesAt: async () => builtIn }

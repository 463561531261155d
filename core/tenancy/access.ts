/**
 * Who may do what where. A grant covers its own tenant, and with `includeDescendants` every tenant
 * below it. Tenant paths (`vn/hn/hn-ba-dinh`) make "below" a prefix test with no query.
 */
export interface Grant {
  id: number
  role: string
  tenant: string
  path: string
  includeDescendants: boolean
}

export interface Principal {
  id: number
  username: string
  displayName: string
  home: { code: string, path: string }
  grants: Grant[]
  /** The session the request's token belongs to, and when a second factor was last shown in it (seconds). */
  session?: { id: string, factorAt?: number | undefined }
  /**
   * The second factors the user has confirmed (totp, passkey, and recovery while codes are left) and when the password
   * was last changed: `GET /me` answers them from the principal cache (enrolling or using a factor clears it).
   */
  factors?: readonly string[]
  passwordChangedAt?: string | null
}

export function isAtOrBelow (path: string, ancestorPath: string): boolean {
  return path === ancestorPath || path.startsWith(ancestorPath + '/')
}

export function covers (grant: Grant, path: string): boolean {
  return grant.path === path || (grant.includeDescendants && path.startsWith(grant.path + '/'))
}

/** True when the principal holds `role` at the tenant at `path`. */
export function holds (principal: Principal, role: string, path: string): boolean {
  return principal.grants.some((grant) => grant.role === role && covers(grant, path))
}

/** True when the principal holds `role` at `path` and at every tenant below it. */
export function holdsSubtree (principal: Principal, role: string, path: string): boolean {
  return principal.grants.some((grant) => grant.role === role && grant.includeDescendants && isAtOrBelow(path, grant.path))
}

/** A tenant is visible to its own users and to anyone with a grant covering it; to anyone else it does not exist. */
export function canSee (principal: Principal, path: string): boolean {
  return principal.home.path === path || principal.grants.some((grant) => covers(grant, path))
}

export function isTenantAdmin (principal: Principal, path: string): boolean {
  return holds(principal, 'tenant-admin', path)
}

/**
 * The change-feed event tenancy publishes, on commit, whenever a user or its grants change: who may
 * do what has changed for that user. Tenancy owns it; caches of principals (core/auth) listen.
 */
export const PRINCIPAL_CHANGED = 'principal.changed'

export interface PrincipalChanged {
  userId: number
}

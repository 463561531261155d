import semver from 'semver'
import { BUILT_IN_ROLES } from '../core/tenancy/roles.ts'
import type { LoadCheck } from '../sandbox/protocol.ts'
import type { Manifest } from './manifest.ts'

/** The platform engine version plugins declare a range against (`engine` in plugin.json). */
export const ENGINE_VERSION = '1.0.0'

export interface Check {
  id: 'manifest' | 'engine' | 'handlers' | 'access' | 'permissions' | 'new-permissions'
  ok: boolean
  message: string
  details?: unknown
}

/** Every permission a manifest asks for, as flat strings: `storage`, `http:https://x/*`, `secret:KEY`… */
export function permissionList (manifest: Manifest): string[] {
  const p = manifest.permissions ?? {}
  return [
    ...(p.storage === true || typeof p.storage === 'object' ? ['storage'] : []),
    ...(typeof p.storage === 'object' ? (p.storage.read ?? []).map((scope) => `storage.read:${scope}`) : []),
    ...(p.http?.allow ?? []).map((pattern) => `http:${pattern}`),
    ...(p.secrets ?? []).map((name) => `secret:${name}`),
    ...(p.events?.publish ?? []).map((type) => `publish:${type}`),
    ...Object.keys(p.events?.subscribe ?? {}).map((type) => `subscribe:${type}`),
    ...(p.signature === true ? ['signature'] : []),
    ...(p.audit === true ? ['audit'] : []),
    ...(p.directory === true ? ['directory'] : []),
    ...(p.timers ?? []).map((handler) => `timer:${handler}`),
    ...(p.files === true ? ['files'] : []),
    ...(p.exports === true ? ['exports'] : []),
    ...(p.seal === true ? ['seal'] : []),
    ...(p.exchange ?? []).map((endpoint) => `exchange:${endpoint}`),
  ]
}

/**
 * The automated checks recorded with an upload and shown to reviewers: the manifest is valid (it
 * was parsed), the engine range admits this platform, `main` loads and exports every handler
 * named by routes and subscriptions, every route's access names a role that exists, the permissions
 * asked for, and those added since the last approved version. A version with a failed check is
 * approved only with an override and its reason (registry/review.ts).
 */
export function runChecks (manifest: Manifest, load: LoadCheck, lastApproved: Manifest | undefined): Check[] {
  const handlers = handlersOf(manifest)
  const engineOk = semver.validRange(manifest.engine) !== null && semver.satisfies(ENGINE_VERSION, manifest.engine)
  const asked = permissionList(manifest)
  const before = lastApproved === undefined ? [] : permissionList(lastApproved)
  const added = asked.filter((permission) => !before.includes(permission))
  return [
    { id: 'manifest', ok: true, message: 'plugin.json is valid' },
    { id: 'engine', ok: engineOk, message: engineOk ? `engine ${manifest.engine} admits ${ENGINE_VERSION}` : `engine '${manifest.engine}' does not admit this platform (${ENGINE_VERSION})` },
    {
      id: 'handlers',
      ok: load.loaded && load.missing.length === 0,
      message: !load.loaded ? `main does not load: ${load.error ?? 'unknown error'}` : load.missing.length === 0 ? `main loads and exports ${handlers.length} handler(s)` : `main does not export: ${load.missing.join(', ')}`,
      details: { handlers, missing: load.missing },
    },
    accessCheck(manifest),
    { id: 'permissions', ok: true, message: asked.length === 0 ? 'asks for no permission' : `asks for: ${asked.join(', ')}`, details: asked },
    { id: 'new-permissions', ok: true, message: lastApproved === undefined ? 'no approved version before this one' : added.length === 0 ? 'no permission added since the last approved version' : `added since ${lastApproved.version}: ${added.join(', ')}`, details: added },
  ]
}

/** The handlers a manifest names, from its routes, event subscriptions and timers. */
export function handlersOf (manifest: Manifest): string[] {
  const permissions = manifest.permissions ?? {}
  return [...new Set([...(manifest.routes ?? []).map((r) => r.handler), ...Object.values(permissions.events?.subscribe ?? {}), ...(permissions.timers ?? [])])]
}

/**
 * Every route's `access` is `public`, `user`, a built-in role or one the manifest declares: a route needing a role no
 * one can hold (`"publik"`) could never be used.
 */
export function accessCheck (manifest: Manifest): Check {
  const known = new Set<string>(['public', 'user', ...BUILT_IN_ROLES, ...(manifest.roles ?? [])])
  const unknown = (manifest.routes ?? []).filter((route) => route.access !== undefined && !known.has(route.access))
    .map((route) => `${route.method} ${route.path}: '${route.access}'`)
  return {
    id: 'access',
    ok: unknown.length === 0,
    message: unknown.length === 0 ? 'every route names a role that exists' : `unknown access roles (public, user, a built-in role or one in roles): ${unknown.join('; ')}`,
    details: unknown,
  }
}

import type { ValidateFunction } from 'ajv'
import type { Tier } from '../sandbox/supervisor.ts'
import type { PluginSpec } from '../sandbox/protocol.ts'
import type { UploadManifest } from './manifest.ts'

export interface PluginRoute {
  method: string
  /** The manifest's path, e.g. `/permits/:id`. */
  path: string
  segments: Array<string | { param: string }>
  handler: string
  access: string
  validateBody: ValidateFunction | undefined
  /** Files the route takes, if it takes any (platform/uploads.ts reads them). */
  upload: Required<UploadManifest> | undefined
}

/** One plugin version installed at one mount of one tenant, ready to serve. */
export interface ActiveInstallation {
  tenant: { id: number, code: string, path: string }
  mount: string
  name: string
  version: string
  tier: Tier
  spec: PluginSpec
  routes: PluginRoute[]
  /** The folder of the package's `ui/` pages, served at `/t/{tenant}/{mount}/ui/`. */
  ui: string | undefined
}

/**
 * `tenant/mount` → installation. A request reads its entry once and keeps it, so a swap never changes what serves a
 * request already begun. Entries change in place: copying the whole table on every change made a national tree's
 * first requests quadratic (3,321 communes, each adding its entry).
 */
export function createRoutingTable () {
  const table = new Map<string, ActiveInstallation>()
  return {
    get: (tenant: string, mount: string): ActiveInstallation | undefined => table.get(`${tenant}/${mount}`),
    /** Installs or replaces; returns the installation it replaced. */
    put (installation: ActiveInstallation): ActiveInstallation | undefined {
      const key = `${installation.tenant.code}/${installation.mount}`
      const previous = table.get(key)
      table.set(key, installation)
      return previous
    },
    remove (tenant: string, mount: string): ActiveInstallation | undefined {
      const key = `${tenant}/${mount}`
      const previous = table.get(key)
      table.delete(key)
      return previous
    },
    all: (): ActiveInstallation[] => [...table.values()],
  }
}

export type RoutingTable = ReturnType<typeof createRoutingTable>

/** Splits a manifest path into literal segments and `:param` segments. */
export function compilePath (path: string): PluginRoute['segments'] {
  return path.split('/').filter((s) => s !== '').map((s) => (s.startsWith(':') ? { param: s.slice(1) } : s))
}

/**
 * Finds the route for a method and the path segments after the mount; `methodMismatch` when only the method differs.
 */
export function matchRoute (routes: readonly PluginRoute[], method: string, segments: readonly string[]): { route: PluginRoute, params: Record<string, string> } | 'methodMismatch' | undefined {
  let pathMatched = false
  for (const route of routes) {
    if (route.segments.length !== segments.length) continue
    const params: Record<string, string> = {}
    let matches = true
    for (let i = 0; i < segments.length; i++) {
      const expected = route.segments[i]!
      const actual = segments[i]!
      if (typeof expected === 'string') {
        if (expected !== actual) { matches = false; break }
      } else {
        params[expected.param] = actual
      }
    }
    if (!matches) continue
    pathMatched = true
    if (route.method === method) return { route, params }
  }
  return pathMatched ? 'methodMismatch' : undefined
}

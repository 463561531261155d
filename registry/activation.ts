import { resolve, sep } from 'node:path'
import { compilePath, type ActiveInstallation } from './routing-table.ts'
import { validationError } from '../core/http/validation.ts'
import { limitsOf, type Manifest } from './manifest.ts'
import { compilePluginSchema } from './plugin-schemas.ts'

export interface ActivationInput {
  tenant: { id: number, code: string, path: string }
  mount: string
  manifest: Manifest
  dir: string
  settings: Record<string, unknown>
  secrets?: Record<string, string>
  /** Distinguishes isolates of one name@version at one mount (a dev reload, a reinstall). */
  key: string
}

/**
 * Makes a plugin version ready to serve at `tenant/mount`: settings validated (defaults filled
 * in), routes and body schemas compiled, the sandbox spec assembled. Nothing is loaded yet.
 */
export function activate (input: ActivationInput): ActiveInstallation {
  const { manifest, tenant } = input
  const settings = structuredClone(input.settings)
  if (manifest.settings !== undefined) {
    const validate = compilePluginSchema(manifest, manifest.settings)
    if (!validate(settings)) throw validationError(validate.errors ?? [])
  }
  return {
    tenant,
    mount: input.mount,
    name: manifest.name,
    version: manifest.version,
    tier: manifest.name.startsWith('@vn/') ? 'first-party' : 'tenant',
    spec: {
      key: input.key,
      tenant: tenant.code,
      tenantId: tenant.id,
      tenantPath: tenant.path,
      mount: input.mount,
      name: manifest.name,
      version: manifest.version,
      dir: input.dir,
      main: manifest.main,
      permissions: manifest.permissions ?? {},
      limits: limitsOf(manifest),
      settings,
      secrets: input.secrets ?? {},
    },
    ui: pagesFolder(input.dir, manifest.ui),
    routes: (manifest.routes ?? []).map((route) => ({
      method: route.method,
      path: route.path,
      segments: compilePath(route.path),
      handler: route.handler,
      access: route.access ?? 'user',
      validateBody: route.body === undefined ? undefined : compilePluginSchema(manifest, route.body),
      upload: route.upload === undefined ? undefined : { as: 'multipart', maxFiles: 1, ...route.upload },
    })),
  }
}

/** The package's `ui/` folder, only if it lies inside the package (the manifest schema already refuses `..`). */
function pagesFolder (dir: string, ui: string | undefined): string | undefined {
  if (ui === undefined) return undefined
  const folder = resolve(dir, ui)
  return folder.startsWith(resolve(dir) + sep) ? folder : undefined
}

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Tenant } from '../core/tenancy/tenants.ts'
import type { ActiveInstallation, RoutingTable } from './routing-table.ts'
import type { Supervisor } from '../sandbox/supervisor.ts'
import { RegistryError } from './errors.ts'
import { activate } from './activation.ts'
import { parseManifest, type Manifest } from './manifest.ts'

export interface LocalInstall {
  tenant: Tenant
  mount: string
  folder: string
  settings?: Record<string, unknown>
  secrets?: Record<string, string>
}

let generation = 0

/** Reads and validates `plugin.json` in a plugin folder. */
export function readManifest (folder: string): Manifest {
  let text: string
  try {
    text = readFileSync(join(folder, 'plugin.json'), 'utf8')
  } catch {
    throw RegistryError.packageUnreadable(`no plugin.json in ${folder}`, { field: 'plugin.json' })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw RegistryError.manifestInvalid(`plugin.json is not JSON: ${(error as Error).message}`, { field: '(manifest)' })
  }
  return parseManifest(json)
}

/**
 * Builds the installation of a plugin folder for a tenant: routes compiled, body schemas and
 * settings validated. Development path (and, until the registry lands, the way to install):
 * each call makes a new generation, so the sandbox loads the folder's current files afresh.
 */
export function buildInstallation (install: LocalInstall): ActiveInstallation {
  const folder = resolve(install.folder)
  const manifest = readManifest(folder)
  return activate({
    tenant: { id: install.tenant.id, code: install.tenant.code, path: install.tenant.path },
    mount: install.mount,
    manifest,
    dir: folder,
    settings: install.settings ?? {},
    ...(install.secrets === undefined ? {} : { secrets: install.secrets }),
    key: `${install.tenant.code}/${install.mount}/${manifest.name}@${manifest.version}#dev${++generation}`,
  })
}

/**
 * Installs a plugin folder at `tenant/mount`, replacing what was there. The old version is retired,
 * not disposed: a request it is serving finishes, then its isolate goes.
 */
export function installFromFolder (table: RoutingTable, supervisor: Supervisor, install: LocalInstall): ActiveInstallation {
  const installation = buildInstallation(install)
  const previous = table.put(installation)
  if (previous !== undefined) supervisor.retire(previous.spec.key)
  return installation
}

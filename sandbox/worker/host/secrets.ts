import type { PluginSpec } from '../../protocol.ts'
import { denied, stringArg } from '../../host-error.ts'

/** `secrets.get(name)`: a secret the manifest declared and the installation set; null when declared but unset. */
export function getSecret (spec: PluginSpec, args: unknown[]): string | null {
  const name = stringArg(args[0], 'the secret name', 128)
  if (!(spec.permissions.secrets ?? []).includes(name)) throw denied(`the manifest does not declare the secret '${name}'`)
  return spec.secrets[name] ?? null
}

import type { Database } from '../../../core/db/database.ts'
import type { RunningRequest } from '../plugin-isolate.ts'
import type { PluginSpec } from '../../protocol.ts'
import { HostCallError, denied, invalid, stringArg } from '../../host-error.ts'
import { BYTES_PER_REQUEST } from './storage.ts'

const MAX_PAYLOAD = 64 * 1024

/**
 * `events.publish(type, payload)`: appends to the platform's event outbox, from which subscribers
 * are served. Only the types the manifest declares under `events.publish`.
 */
export async function publishEvent (db: Database, spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<{ published: true }> {
  const type = stringArg(args[0], 'the event type', 128)
  if (!(spec.permissions.events?.publish ?? []).includes(type)) throw denied(`the manifest does not declare publishing '${type}'`)
  const payload = JSON.stringify(args[1] ?? null)
  if (payload.length > MAX_PAYLOAD) throw invalid(`the payload is larger than ${MAX_PAYLOAD} characters`)
  // Events share the request's budget of bytes written with its documents (storage.ts).
  const written = request.written ??= { bytes: 0 }
  if (written.bytes + payload.length > BYTES_PER_REQUEST) throw new HostCallError('QuotaExceeded', `one request writes at most ${BYTES_PER_REQUEST} bytes of documents and events`)
  written.bytes += payload.length
  await db.knex('plugin_events').insert({
    tenant_id: spec.tenantId,
    plugin: spec.name,
    version: spec.version,
    type,
    payload,
    request_id: request.requestId,
    created_at: new Date().toISOString(),
  })
  return { published: true }
}

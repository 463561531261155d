import type { Database } from '../../../core/db/database.ts'
import type { RunningRequest } from '../plugin-isolate.ts'
import type { PluginSpec } from '../../protocol.ts'
import { HostCallError, denied, invalid, stringArg } from '../../host-error.ts'
import { BYTES_PER_REQUEST } from './storage.ts'

const MAX_PAYLOAD = 64 * 1024
const INSERT_EVENT = 'insert into plugin_events (tenant_id, plugin, version, type, payload, request_id, created_at) values (?, ?, ?, ?, ?, ?, ?)'

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
  // Through the connection storage writes with, never knex's: on SQLite, knex's own connection would wait on this
  // thread for the write lock that the storage writes of this turn hold until the turn ends, and fail after 5 s
  // (two officers deciding at once made it so). On SQLite the event joins the turn's transaction with them.
  const values = [spec.tenantId, spec.name, spec.version, type, payload, request.requestId, new Date().toISOString()]
  const sync = db.now()
  if (sync !== undefined) sync.write(INSERT_EVENT, values)
  else await db.write(INSERT_EVENT, values)
  return { published: true }
}

import type { SecretBox } from '../core/auth/secret-box.ts'
import type { Database } from '../core/db/database.ts'
import type { FileLinks } from '../core/files/file-links.ts'
import { FILES_QUOTA_BYTES, FILE_ID, fileInfo, filesUsage, fileWithBytes, keepFile, removeFile, storeFile } from '../core/files/file-store.ts'
import { sealContext } from '../core/routes/seal.ts'
import { readCertificate } from '../core/signatures/certificates.ts'
import { importSealKey, sealContent } from '../core/signatures/seal.ts'
import type { GatewayCall } from '../sandbox/protocol.ts'
import type { Asker } from '../sandbox/supervisor.ts'
import { CallError } from './call-error.ts'
import type { Exports } from './exports.ts'

export interface FileCallDeps {
  db: Database
  fileLinks: FileLinks
  secretBox: SecretBox
  exports: Exports
}

const MAX_READ = 8 * 1024 * 1024
const MEDIA_TYPE = /^[a-z]+\/[a-z0-9.+-]{1,100}$/

/**
 * The gateway's side of `files.*`, `signature.seal` and `exports.*`: each checks its permission again (the worker is
 * not trusted) and acts for the plugin and tenant of the request the gateway dispatched, never others.
 */
export function createFileCalls ({ db, fileLinks, secretBox, exports }: FileCallDeps): (call: GatewayCall, asker: Asker) => Promise<unknown> {
  return async (call, { spec, requestId }) => {
    const owner = { tenantId: spec.tenantId, plugin: spec.name }
    if (call.op === 'signature.seal') {
      if (spec.permissions.seal !== true) throw new CallError('PermissionDenied', 'the manifest does not ask for seal')
      const row = await db.knex('unit_seals').where({ tenant_id: spec.tenantId }).first('certificate', 'private_key')
      if (row === undefined) throw new CallError('NotFound', 'this unit has no seal: its administrator sets one (PUT /api/v1/tenants/{code}/seal)')
      const certificate = readCertificate(String(row.certificate))!.certificate
      const key = await importSealKey(secretBox.open(String(row.private_key), sealContext(spec.tenantId)))
      const signingTime = new Date()
      const signature = await sealContent(Buffer.from(String(call.content), 'base64'), certificate, key, signingTime)
      return { signature: Buffer.from(signature).toString('base64'), certificate: String(row.certificate), signingTime: signingTime.toISOString() }
    }
    if (call.op === 'exports.start' || call.op === 'exports.status') {
      if (spec.permissions.exports !== true) throw new CallError('PermissionDenied', 'the manifest does not ask for exports')
      if (call.op === 'exports.start') return exports.start(spec, call.job, requestId)
      if (typeof call.id !== 'string' || !FILE_ID.test(call.id)) throw new CallError('InvalidArgument', 'an export id is the id exports.start gave')
      return exports.status(spec, call.id)
    }
    if (spec.permissions.files !== true) throw new CallError('PermissionDenied', 'the manifest does not ask for files')
    switch (call.op) {
      case 'files.info':
        return await fileInfo(db, owner, String(call.id)) ?? null
      case 'files.read': {
        const file = await fileWithBytes(db, owner, String(call.id))
        if (file === undefined) return null
        if (file.bytes.length > MAX_READ) throw new CallError('InvalidArgument', `files.read reads files of at most ${MAX_READ} bytes; link larger ones (files.url)`)
        return { ...file.info, content: file.bytes.toString(call.encoding === 'utf8' ? 'utf8' : 'base64') }
      }
      case 'files.create': {
        if (typeof call.name !== 'string' || call.name.length === 0 || call.name.length > 255 || typeof call.type !== 'string' || !MEDIA_TYPE.test(call.type) || typeof call.content !== 'string') {
          throw new CallError('InvalidArgument', 'a file is a name, a media type and its content')
        }
        const bytes = Buffer.from(call.content, 'base64')
        if (bytes.length > MAX_READ) throw new CallError('InvalidArgument', `a file made by a plugin is at most ${MAX_READ} bytes`)
        if (await filesUsage(db, owner) + bytes.length > FILES_QUOTA_BYTES) throw new CallError('QuotaExceeded', `a plugin keeps at most ${FILES_QUOTA_BYTES} bytes of files at a unit`)
        return storeFile(db, owner, { name: call.name, type: call.type, bytes, kept: true, requestId })
      }
      case 'files.keep':
        return keepFile(db, owner, String(call.id))
      case 'files.remove':
        return removeFile(db, owner, String(call.id))
      case 'files.url': {
        const seconds = Number(call.seconds)
        if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) throw new CallError('InvalidArgument', 'expiresIn is whole seconds, 1 to 86400')
        if (await fileInfo(db, owner, String(call.id)) === undefined) throw new CallError('NotFound', 'no such file')
        return fileLinks.url(spec.tenant, String(call.id), seconds)
      }
      default:
        throw new CallError('InvalidArgument', 'no such call')
    }
  }
}

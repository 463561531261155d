import type { GatewayCall, PluginSpec } from '../../protocol.ts'
import type { RunningRequest } from '../plugin-isolate.ts'
import { signedText } from './digest.ts'
import { denied, invalid, objectArg } from '../../host-error.ts'

/** Asks the gateway on behalf of the request being served. */
export type ForRequest = (request: RunningRequest, call: GatewayCall) => Promise<unknown>

/** What `files.read` gives and `files.create` takes at most, in bytes (the content crosses as text). */
export const FILE_CALL_MAX_BYTES = 8 * 1024 * 1024
const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const MEDIA_TYPE = /^[a-z]+\/[a-z0-9.+-]{1,100}$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function fileId (value: unknown): string {
  if (typeof value !== 'string' || !FILE_ID.test(value)) throw invalid('a file id is the id files.create or an upload gave')
  return value
}

function encodingOf (options: Record<string, unknown>): 'base64' | 'utf8' {
  const encoding = options.encoding ?? 'base64'
  if (encoding !== 'base64' && encoding !== 'utf8') throw invalid("encoding is 'base64' or 'utf8'")
  return encoding
}

/**
 * `files.*`, `signature.seal` and `exports.*`: the gateway keeps files and the unit's seal, and runs exports, so
 * these are asked of it. Arguments are checked here for a clear error at once, and again by the gateway.
 */
export function fileCalls (forRequest: ForRequest) {
  const needsFiles = (spec: PluginSpec): void => {
    if (spec.permissions.files !== true) throw denied('the manifest does not ask for files')
  }
  return {
    'files.info': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      needsFiles(spec)
      return forRequest(request, { op: 'files.info', id: fileId(args[0]) })
    },
    'files.read': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      needsFiles(spec)
      return forRequest(request, { op: 'files.read', id: fileId(args[0]), encoding: encodingOf(objectArg(args[1] ?? {}, 'the options')) })
    },
    'files.create': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      needsFiles(spec)
      const file = objectArg(args[0], 'the file')
      const { name, type, content } = file
      if (typeof name !== 'string' || name.length === 0 || name.length > 255) throw invalid('name is a string of 1 to 255 characters')
      if (typeof type !== 'string' || !MEDIA_TYPE.test(type)) throw invalid("type is a media type such as 'application/pdf'")
      if (typeof content !== 'string') throw invalid('content is a string: text, or base64 with encoding: \'base64\'')
      const encoding = encodingOf({ encoding: file.encoding ?? 'utf8' })
      if (encoding === 'base64' && !BASE64.test(content)) throw invalid('content is not base64')
      const bytes = encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8')
      if (bytes.length > FILE_CALL_MAX_BYTES) throw invalid(`a file made here is at most ${FILE_CALL_MAX_BYTES} bytes`)
      return forRequest(request, { op: 'files.create', name, type, content: bytes.toString('base64') })
    },
    'files.keep': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      needsFiles(spec)
      return forRequest(request, { op: 'files.keep', id: fileId(args[0]) })
    },
    'files.remove': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      needsFiles(spec)
      return forRequest(request, { op: 'files.remove', id: fileId(args[0]) })
    },
    'files.url': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      needsFiles(spec)
      const options = objectArg(args[1] ?? {}, 'the options')
      const seconds = options.expiresIn ?? 300
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) throw invalid('expiresIn is whole seconds, 1 to 86400')
      return forRequest(request, { op: 'files.url', id: fileId(args[0]), seconds })
    },
    'signature.seal': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      if (spec.permissions.seal !== true) throw denied('the manifest does not ask for seal')
      const content = Buffer.from(signedText(args[0], 'content'), 'utf8').toString('base64')
      return forRequest(request, { op: 'signature.seal', content })
    },
    'exports.start': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      if (spec.permissions.exports !== true) throw denied('the manifest does not ask for exports')
      const job = objectArg(args[0], 'the export')
      const text = JSON.stringify(job)
      if (text.length > 16_384) throw invalid('an export is described in at most 16 KiB of JSON')
      return forRequest(request, { op: 'exports.start', job: JSON.parse(text) as Record<string, unknown> })
    },
    'exports.status': (spec: PluginSpec, request: RunningRequest, args: unknown[]): Promise<unknown> => {
      if (spec.permissions.exports !== true) throw denied('the manifest does not ask for exports')
      if (typeof args[0] !== 'string' || !FILE_ID.test(args[0])) throw invalid('an export id is the id exports.start gave')
      return forRequest(request, { op: 'exports.status', id: args[0] })
    },
  }
}

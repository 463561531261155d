import type { IncomingMessage } from 'node:http'
import Busboy from 'busboy'
import { fileTypeFromBuffer } from 'file-type'
import type { Database } from '../core/db/database.ts'
import { CoreError } from '../core/errors.ts'
import { FILES_QUOTA_BYTES, filesUsage, storeFile, type FileOwner } from '../core/files/file-store.ts'
import { readBody } from '../core/http/body.ts'
import type { PluginRoute } from '../registry/routing-table.ts'
import type { PluginRequest } from '../sandbox/protocol.ts'

/** One file a request brought, before it is stored. */
export interface Upload {
  /** The form field it came in (`file` for a raw body). */
  field: string
  name: string
  /** The declared type, checked against the route's types and against the bytes. */
  type: string
  bytes: Buffer
}

export interface UploadBody {
  /** A multipart form's text fields (the plugin's `body`). */
  fields: Record<string, string>
  files: Upload[]
}

type UploadSpec = NonNullable<PluginRoute['upload']>

/** Text fields a form may carry beside its files, and the size of each. */
const MAX_FIELDS = 50
const MAX_FIELD_BYTES = 64 * 1024
/** Bytes all uploads in progress on this node may hold in memory at once; past it a new upload is answered 503. */
const IN_FLIGHT_LIMIT = 512 * 1024 * 1024
let inFlight = 0

/** Types whose bytes carry no signature to sniff: accepted when they are UTF-8 text without NUL. */
const TEXTUAL = /^(text\/[a-z0-9.+-]+|application\/(json|xml|[a-z0-9.+-]+\+json|[a-z0-9.+-]+\+xml))$/

const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0]!.trim().toLowerCase()

/**
 * Reads the files of a request to a route that takes them (`routes[].upload`): a multipart form, or the raw body as
 * one file. Nothing is stored here, and nothing past the route's limits is even held: a body larger than it may
 * be is answered 413 as soon as that is known (by its Content-Length, or as it streams), a type the route does not
 * take, or bytes that are not what their type says (sniffed), 415.
 */
export async function readUpload (req: IncomingMessage, spec: UploadSpec, query: Record<string, string | string[]>): Promise<UploadBody> {
  const budget = spec.as === 'raw' ? spec.maxBytes : spec.maxBytes * spec.maxFiles + MAX_FIELDS * MAX_FIELD_BYTES
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > budget) throw tooLarge(spec)
  const reserved = Math.min(budget, declared > 0 ? declared : budget)
  if (inFlight + reserved > IN_FLIGHT_LIMIT) throw CoreError.unavailable('too many uploads are in progress; try again in a moment', { headers: { 'Retry-After': '5' } })
  inFlight += reserved
  try {
    const body = spec.as === 'raw' ? await readRaw(req, spec, query) : await readForm(req, spec)
    for (const file of body.files) await checkType(file, spec)
    return body
  } finally {
    inFlight -= reserved
  }
}

function tooLarge (spec: UploadSpec): Error {
  return CoreError.bodyTooLarge(`a file is at most ${spec.maxBytes} bytes here${spec.as === 'raw' ? '' : `, ${spec.maxFiles} per request`}`, { field: '(body)' })
}

async function readRaw (req: IncomingMessage, spec: UploadSpec, query: Record<string, string | string[]>): Promise<UploadBody> {
  const type = mediaType(req.headers['content-type'])
  if (!spec.types.includes(type)) throw unsupported(type, spec, '(body)')
  let bytes: Buffer
  try {
    bytes = await readBody(req, spec.maxBytes)
  } catch (error) {
    if ((error as { code?: string }).code === 'CORE_ERR_BODY_TOO_LARGE') throw tooLarge(spec)
    throw error
  }
  if (bytes.length === 0) throw CoreError.badRequest('the body is empty; send the file as the body', { field: '(body)' })
  const name = typeof query.filename === 'string' ? query.filename : 'upload'
  return { fields: {}, files: [{ field: 'file', name, type, bytes }] }
}

function readForm (req: IncomingMessage, spec: UploadSpec): Promise<UploadBody> {
  const type = mediaType(req.headers['content-type'])
  if (type !== 'multipart/form-data') {
    throw CoreError.unsupportedMediaType(`send the files as multipart/form-data (got ${type === '' ? 'no Content-Type' : `'${type.slice(0, 100)}'`})`, { field: '(body)' })
  }
  return new Promise((resolve, reject) => {
    let parser: Busboy.Busboy
    try {
      parser = Busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: {
          fileSize: spec.maxBytes, files: spec.maxFiles, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, parts: spec.maxFiles + MAX_FIELDS, headerPairs: 20,
        },
      })
    } catch (error) {
      reject(CoreError.badRequest(`the form cannot be read: ${(error as Error).message.slice(0, 200)}`, { field: '(body)' }))
      return
    }
    const fields: Record<string, string> = Object.create(null)
    const files: Upload[] = []
    let failed: Error | undefined
    const fail = (error: Error): void => {
      if (failed !== undefined) return
      failed = error
      req.unpipe(parser)
      req.resume()
      reject(error)
    }
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = []
      let size = 0
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length
        chunks.push(chunk)
      })
      stream.on('limit', () => fail(tooLarge(spec)))
      stream.on('end', () => {
        if (failed !== undefined || stream.truncated) return
        if (size === 0 && info.filename === undefined) return
        files.push({ field: field.normalize('NFC'), name: info.filename ?? field, type: info.mimeType.toLowerCase(), bytes: Buffer.concat(chunks, size) })
      })
    })
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(CoreError.bodyTooLarge(`the field '${name.slice(0, 64)}' is over ${MAX_FIELD_BYTES} bytes`, { field: name.slice(0, 64) }))
      else if (name === '__proto__') fail(CoreError.invalidField('a form field cannot be named __proto__', { field: '(body)' }))
      else fields[name.normalize('NFC')] = value.normalize('NFC')
    })
    parser.on('filesLimit', () => fail(CoreError.bodyTooLarge(`at most ${spec.maxFiles} file(s) per request here`, { field: '(body)' })))
    parser.on('fieldsLimit', () => fail(CoreError.bodyTooLarge(`at most ${MAX_FIELDS} form fields`, { field: '(body)' })))
    parser.on('partsLimit', () => fail(CoreError.bodyTooLarge('the form has too many parts', { field: '(body)' })))
    parser.on('error', (error: Error) => fail(CoreError.badRequest(`the form cannot be read: ${error.message.slice(0, 200)}`, { field: '(body)' })))
    parser.on('close', () => {
      if (failed !== undefined) return
      if (files.length === 0) {
        fail(CoreError.missingField('the form has no file', { field: '(body)' }))
        return
      }
      resolve({ fields: { ...fields }, files })
    })
    req.on('error', () => fail(CoreError.badRequest('the request body could not be read', { field: '(body)' })))
    req.pipe(parser)
  })
}

function unsupported (type: string, spec: UploadSpec, field: string): Error {
  return CoreError.unsupportedMediaType(`this route takes ${spec.types.join(', ')} (got ${type === '' ? 'no type' : `'${type.slice(0, 100)}'`})`, { field })
}

/**
 * The declared type must be one the route takes, and the bytes must be that type: sniffed by their signature
 * (`file-type`), or, for types that have none (CSV, JSON, plain text), UTF-8 text without NUL.
 */
async function checkType (file: Upload, spec: UploadSpec): Promise<void> {
  if (!spec.types.includes(file.type)) throw unsupported(file.type, spec, file.field)
  const sniffed = await fileTypeFromBuffer(file.bytes)
  if (sniffed !== undefined) {
    if (sniffed.mime !== file.type) throw CoreError.unsupportedMediaType(`'${file.name.slice(0, 100)}' says ${file.type} but its bytes are ${sniffed.mime}`, { field: file.field })
    return
  }
  if (!TEXTUAL.test(file.type) || file.bytes.includes(0) || !isUtf8(file.bytes)) {
    throw CoreError.unsupportedMediaType(`'${file.name.slice(0, 100)}' says ${file.type} but its bytes are not that`, { field: file.field })
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true })
function isUtf8 (bytes: Buffer): boolean {
  try {
    decoder.decode(bytes)
    return true
  } catch {
    return false
  }
}

/**
 * Stores a request's files as uploads of `owner` (the sweep removes them unless the plugin keeps them, `files.keep`)
 * and describes them for the plugin; refused whole (413) when they would take the plugin past its quota at the unit.
 */
export async function keepUploads (db: Database, owner: FileOwner, uploads: Upload[], requestId: string): Promise<NonNullable<PluginRequest['files']>> {
  const adding = uploads.reduce((sum, file) => sum + file.bytes.length, 0)
  if (await filesUsage(db, owner) + adding > FILES_QUOTA_BYTES) {
    throw CoreError.bodyTooLarge(`this plugin keeps at most ${FILES_QUOTA_BYTES} bytes of files at this unit; remove some first`, { field: '(body)' })
  }
  const stored = []
  for (const { field, name, type, bytes } of uploads) stored.push({ field, ...await storeFile(db, owner, { name, type, bytes, kept: false, requestId }) })
  return stored
}

import type { IncomingMessage } from 'node:http'
import { CoreError } from '../errors.ts'
import { jsonShapeProblem } from './json-shape.ts'

export const JSON_BODY_LIMIT = 1024 * 1024

/**
 * Reads a request body as bytes, refusing more than `limit` (413) before buffering it: a declared
 * Content-Length over the limit is refused at once, a stream that grows past it is cut off.
 */
export async function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) {
    throw CoreError.bodyTooLarge(`the body is larger than ${limit} bytes`, { field: '(body)' })
  }
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > limit) throw CoreError.bodyTooLarge(`the body is larger than ${limit} bytes`, { field: '(body)' })
      chunks.push(chunk as Buffer)
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'CORE_ERR_BODY_TOO_LARGE') throw error
    throw CoreError.badRequest('the request body could not be read', { cause: error })
  }
  return Buffer.concat(chunks, size)
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Reads and parses a JSON body: 415 for another media type, 413 when too large, too deep or with too
 * many values (json-shape.ts), 400 when not JSON.
 */
export async function readJsonBody (req: IncomingMessage, limit = JSON_BODY_LIMIT): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') {
    throw CoreError.unsupportedMediaType(`the body must be application/json (got ${type === '' ? 'no Content-Type' : `'${type.slice(0, 100)}'`})`, { field: '(body)' })
  }
  const bytes = await readBody(req, limit)
  if (bytes.length === 0) throw CoreError.malformedJson('the body is empty; send a JSON object', { field: '(body)' })
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    throw CoreError.malformedJson('the body is not valid UTF-8', { field: '(body)' })
  }
  const problem = jsonShapeProblem(text)
  if (problem !== undefined) throw CoreError.bodyTooComplex(problem, { field: '(body)' })
  try {
    return JSON.parse(text)
  } catch (error) {
    throw CoreError.malformedJson(`the body is not valid JSON: ${(error as Error).message.slice(0, 200)}`, { field: '(body)' })
  }
}

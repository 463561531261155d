import { request as httpRequest } from 'node:http'

/**
 * One request on a connection of its own. (An nginx reload closes its idle keep-alive connections with clients; a
 * browser sends again what it had put on such a connection, Node's fetch does not, and that is nginx's reload, not the
 * node's drain, which these tests are about.)
 */
export function send (url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) }, agent: false }, (response) => {
      response.resume()
      response.on('end', () => resolve({ status: response.statusCode ?? 0 }))
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(body)
  })
}

export interface LoadResult {
  /** Codes of the units whose creation was answered 201. */
  acknowledged: string[]
  failures: Array<{ at: number, what: string }>
  reads: number
  writes: number
  /** Requests answered after `mark` was called. */
  servedAfterMark: number
}

/**
 * Steady reads and writes through nginx by 8 clients for `ms`, and at least until `midway`, which starts `atMs` in, has
 * ended (a rolling upgrade: the load runs through all of it).
 */
export async function load (url: string, token: string, ms: number, atMs: number, midway: () => Promise<void> | void): Promise<LoadResult> {
  const result: LoadResult = { acknowledged: [], failures: [], reads: 0, writes: 0, servedAfterMark: 0 }
  const started = Date.now()
  const state = { marked: false }
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const trigger = (async () => {
    await new Promise((resolve) => setTimeout(resolve, atMs))
    try {
      await midway()
    } finally {
      state.marked = true
    }
  })()
  let serial = 0
  await Promise.all(Array.from({ length: 8 }, async (_, worker) => {
    while (Date.now() - started < ms || !state.marked) {
      const write = worker % 2 === 0
      const code = `lb-${worker}-${serial++}`
      const at = Date.now() - started
      try {
        const response = write
          ? await send(`${url}/api/v1/tenants/vn/children`, 'POST', headers, JSON.stringify({ code, name: `Đơn vị ${code}` }))
          : await send(`${url}/api/v1/me`, 'GET', headers)
        if (response.status === (write ? 201 : 200)) {
          if (write) result.acknowledged.push(code)
          if (state.marked) result.servedAfterMark++
        } else {
          result.failures.push({ at, what: `${write ? 'POST' : 'GET'} → ${response.status}` })
        }
      } catch (error) {
        result.failures.push({ at, what: `${write ? 'POST' : 'GET'} → ${(error as Error).message}` })
      }
      if (write) result.writes++
      else result.reads++
    }
  }))
  await trigger
  return result
}

export async function allExist (url: string, token: string, codes: string[]): Promise<string[]> {
  const missing: string[] = []
  for (const code of codes) {
    const response = await fetch(`${url}/api/v1/tenants/${code}`, { headers: { authorization: `Bearer ${token}` } })
    if (response.status !== 200) missing.push(code)
  }
  return missing
}

/** A response as a test sees it: status, parsed JSON (or text), headers. */
export interface TestResponse<T = any> {
  status: number
  body: T
  headers: Headers
}

export interface RequestOptions {
  token?: string | undefined
  body?: unknown
  /** Sent as-is instead of JSON. */
  raw?: string | Uint8Array
  headers?: Record<string, string>
}

/** Real HTTP to a running platform. */
export async function request<T = any> (baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<TestResponse<T>> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  let body: string | Uint8Array | undefined
  if (options.raw !== undefined) body = options.raw
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  const response = await fetch(baseUrl + path, body === undefined ? { method, headers } : { method, headers, body })
  const text = await response.text()
  let parsed: unknown = text
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text)
  return { status: response.status, body: parsed as T, headers: response.headers }
}

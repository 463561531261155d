/** The CLI's HTTP calls to a platform: JSON in, JSON out, failures described with their code and field. */
export interface ApiResponse {
  status: number
  body: any
}

export async function apiCall (
  url: string,
  method: string,
  path: string,
  options: { token?: string, body?: unknown, raw?: Buffer, contentType?: string } = {}
): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  let body: string | Buffer | undefined
  if (options.raw !== undefined) {
    body = options.raw
    headers['content-type'] = options.contentType ?? 'application/octet-stream'
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] = 'application/json'
  }
  let response: Response
  try {
    response = await fetch(url + path, { method, headers, ...(body === undefined ? {} : { body }) })
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message
    return { status: 0, body: { error: { code: 'CLI_UNREACHABLE', message: `cannot reach ${url} (${cause}); is the platform running?` } } }
  }
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = text === '' ? null : JSON.parse(text)
  } catch {}
  return { status: response.status, body: parsed }
}

/** `CODE: message (field: x)`, for a platform error thrown here or answered by a platform. */
export function describeError (error: { code: string, message: string, field?: string | undefined }): string {
  return `${error.code}: ${error.message}${error.field === undefined ? '' : ` (field: ${error.field})`}`
}

/** `CODE: message (field: x)` for a failed call. */
export function describeFailure (response: ApiResponse): string {
  const error = response.body?.error
  return error === undefined ? `HTTP ${response.status}` : describeError(error)
}

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

interface DescribedError { code: string, message: string, field?: string | undefined, errors?: Array<{ field: string, message: string }> | undefined }

/** `CODE: message (field: x)`, for a platform error thrown here or answered by a platform; several, one a line. */
export function describeError (error: DescribedError): string {
  const first = `${error.code}: ${error.message}${error.field === undefined ? '' : ` (field: ${error.field})`}`
  // Every problem, not only the first: a manifest with three mistakes is fixed in one go.
  const all = error.errors ?? []
  return all.length <= 1 ? first : [`${error.code}: ${all.length} problems`, ...all.map((problem) => `  - ${problem.field}: ${problem.message}`)].join('\n')
}

/** `CODE: message (field: x)` for a failed call. */
export function describeFailure (response: ApiResponse): string {
  const error = response.body?.error
  return error === undefined ? `HTTP ${response.status}` : describeError(error)
}

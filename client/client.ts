import createFetchClient, { type Client } from 'openapi-fetch'
import type { paths } from './schema.ts'

export type { paths, components } from './schema.ts'

/**
 * A typed client for the platform's HTTP API, for other systems: every path, parameter, body and
 * response is typed from `schema.ts`, which is generated from the platform's OpenAPI document.
 *
 *   const api = createClient('https://platform.example.gov.vn', token)
 *   const { data, error } = await api.GET('/api/v1/tenants/{code}', { params: { path: { code: 'hn' } } })
 */
export function createClient (baseUrl: string, token?: string): Client<paths> {
  return createFetchClient<paths>({ baseUrl, ...(token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } }) })
}

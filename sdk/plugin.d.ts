/**
 * What a handler receives and returns. A handler is an exported function of the plugin's `main`
 * module, named by a route (or an event subscription) in plugin.json.
 */
import type { Json } from 'nentang:sdk'

export interface PluginRequest<Body = Json | null> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** The path below the mount, e.g. `/permits/42`. */
  path: string
  /** Values of the route's `:params`. */
  params: Record<string, string>
  query: Record<string, string | string[]>
  /** accept, accept-language, content-type, user-agent, x-request-id. */
  headers: Record<string, string>
  /** The JSON body, already validated against the route's `body` schema when it declares one. */
  body: Body
  /**
   * On a route that takes files (`upload`): the files received, stored as uploads of this plugin at this unit.
   * `files.keep(id)` keeps one; those not kept within an hour are removed.
   */
  files?: Array<import('nentang:sdk').FileInfo & { field: string }>
  /** The caller, or null on a public route. */
  user: { username: string, displayName: string, tenant: string, roles: string[] } | null
  /** The tenant this request is for. */
  tenant: string
}

/** The body of a request that delivers an event to a subscriber's handler (`permissions.events.subscribe`). */
export interface EventDelivery<Payload = Json> {
  /** The event's id: increasing in the order events were published. */
  id: number
  type: string
  payload: Payload
  /** The plugin that published it, at this unit. */
  publisher: { plugin: string, tenant: string }
  publishedAt: string
}

/** Either a JSON body (status 200), or an object whose only keys are `status`, `headers` and `body`. */
export type PluginResponse = Json | { status: number, headers?: Record<string, string>, body?: Json }

export type Handler<Body = Json | null> = (request: PluginRequest<Body>) => PluginResponse | Promise<PluginResponse>

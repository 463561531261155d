/**
 * Types for `nentang:sdk`, the only module a plugin may import besides its own files.
 * Every value crosses the sandbox boundary as a JSON copy: what you pass in and what you get
 * back are plain data, never live objects. Each function needs the permission its comment names
 * in plugin.json; without it, the call throws `PermissionDenied`. Every call counts against the
 * request's budget (`limits.hostCalls`, default 100).
 */
declare module 'nentang:sdk' {
  /** A JSON value: what storage keeps and what crosses the boundary. */
  export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

  /**
   * A stored document: your fields plus the id the platform gave it, a UUID version 7: ids sort
   * by creation time (to the millisecond), and their random part makes them unguessable.
   */
  export type Stored<T> = T & { _id: string }

  /** A comparison on one field. */
  export interface Condition {
    $eq?: Json
    $ne?: Json
    $gt?: string | number
    $gte?: string | number
    $lt?: string | number
    $lte?: string | number
    $in?: Json[]
  }

  /** `{field: value}` or `{field: {$gt: 3}}`; a field may be a path such as `owner.name`. */
  export type Filter = Record<string, Json | Condition>

  export interface FindOptions {
    /** `'field'` ascending, `'-field'` descending. */
    sort?: string
    /** At most 1000; default 100. */
    limit?: number
    offset?: number
  }

  export interface AggregateSpec {
    /** Fields to group by; none gives one row for the whole collection. */
    groupBy?: string[]
    /** `{total: {count: true}}`, `{sum: {sum: 'amount'}}`, `avg`, `min`, `max`. */
    metrics: Record<string, { count: true } | { sum: string } | { avg: string } | { min: string } | { max: string }>
    filter?: Filter
  }

  /** JSON documents scoped to this tenant and this plugin. Needs `permissions.storage`. */
  export interface Collection<T extends Record<string, Json> = Record<string, Json>> {
    insert(doc: T): Promise<Stored<T>>
    get(id: string): Promise<Stored<T> | null>
    /** Merges `patch` into the document; null when there is no such document. */
    update(id: string, patch: Partial<T>): Promise<Stored<T> | null>
    remove(id: string): Promise<boolean>
    find(filter?: Filter, options?: FindOptions): Promise<Array<Stored<T>>>
    count(filter?: Filter): Promise<number>
    aggregate(spec: AggregateSpec): Promise<Array<Record<string, Json>>>
  }

  export const storage: {
    /** A collection by name (`^[a-z][a-z0-9_-]{0,63}$`). */
    collection<T extends Record<string, Json> = Record<string, Json>>(name: string): Collection<T>
  }

  export interface FetchInit {
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD'
    headers?: Record<string, string>
    body?: string
  }

  export interface FetchResponse {
    status: number
    headers: Record<string, string>
    /** The body as text (at most 1 MiB). */
    body: string
    /** The final URL, after redirects. */
    url: string
  }

  /** Needs a `permissions.http.allow` pattern matching the URL; private and loopback addresses are refused. */
  export const http: { fetch(url: string, init?: FetchInit): Promise<FetchResponse> }

  /** Needs the name in `permissions.secrets`; set by a tenant administrator, never logged. */
  export const secrets: { get(name: string): Promise<string | null> }

  /** Needs the type in `permissions.events.publish`. */
  export const events: { publish(type: string, payload: Json): Promise<void> }

  export interface CurrentUser {
    username: string
    displayName: string
    /** The user's home tenant. */
    tenant: string
    /** The roles the user holds at the tenant this request is for. */
    roles: string[]
  }

  /** The caller, or null on a public route. */
  export const users: { current(): Promise<CurrentUser | null> }

  /** A line in the platform log, tagged with tenant, plugin, version and request id; rate-limited. */
  export const log: {
    info(...values: unknown[]): void
    warn(...values: unknown[]): void
    error(...values: unknown[]): void
  }

  /** The installation's settings, validated against plugin.json's `settings` schema, defaults filled in. */
  export function settings<T extends Record<string, Json> = Record<string, Json>> (): T

  /** Thrown by a call the manifest did not ask for. */
  export class PermissionDenied extends Error {}
  /**
   * Thrown by a host call that failed; `name` says why: `InvalidArgument`, `BudgetExceeded` (host calls),
   * `NotFound`, `Timeout` (the request's time ran out while the call waited), `QuotaExceeded` (storage), or
   * `HostError` (network error…).
   */
  export class HostError extends Error {}

  const sdk: {
    storage: typeof storage
    http: typeof http
    secrets: typeof secrets
    events: typeof events
    users: typeof users
    log: typeof log
    settings: typeof settings
    PermissionDenied: typeof PermissionDenied
  }
  export default sdk
}

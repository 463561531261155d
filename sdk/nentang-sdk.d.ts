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
    /** 1 to 100 values. */
    $in?: Json[]
    /** 1 to 100 values; a document without the field matches too. */
    $nin?: Json[]
    /** Whether the document has the field (set to null counts as having it). */
    $exists?: boolean
    /**
     * Every word (1 to 10, 200 characters at most) somewhere in the field's text, ignoring case and Vietnamese marks:
     * `'nguyen van'` finds `'Nguyễn Văn An'`, `'dao'` finds `'ĐÀO'`. Only strings are searched.
     */
    $search?: string
  }

  /**
   * `{field: value}` or `{field: {$gt: 3}}`, all of which must hold; a field may be a path such as `owner.name`.
   * `$or: [filter, …]` (1 to 10, not nested) holds when any of them does. At most 10 fields and 20 conditions.
   */
  export type Filter = { [field: string]: Json | Condition | Filter[] | undefined, $or?: Filter[] }

  /**
   * A field to sort by, `'-field'` for descending. Values order by type first, the same on every database: missing
   * and null, then `false` before `true`, numbers by value, strings by code point, arrays and objects last; ties in
   * the order the documents were made.
   */
  export type SortKey = string

  export interface FindOptions {
    /** One key, or up to 3 (`['-pinned', '-postedAt']`). */
    sort?: SortKey | SortKey[]
    /** At most 1000; default 100. */
    limit?: number
    /** At most 10,000. For deeper pages use `after`. */
    offset?: number
    /** The next page in the order documents were made, after this document's `_id` (not with `sort` or `offset`). */
    after?: string
  }

  /** A metric of a group: how many documents, or the sum, average, least or greatest of a field's numbers. */
  export type Metric =
    | { op: 'count' }
    | { op: 'sum' | 'avg' | 'min' | 'max', field: string }

  export interface AggregateSpec {
    /**
     * Up to 3 fields to group by; none gives one row for the whole collection. Each row carries the group's values
     * as the JSON they are (`1` and `'1'` are two groups; a missing field and `null` are one), in sort order.
     */
    groupBy?: string | string[]
    /**
     * 1 to 10 metrics by the name each gets in the rows: `{n: {op: 'count'}, total: {op: 'sum', field: 'fee'}}`.
     * Only numbers count for `sum`, `avg`, `min` and `max` (a string such as `'1000'` does not). Default: `{count:
     * {op: 'count'}}`.
     */
    metrics?: Record<string, Metric>
    filter?: Filter
  }

  export interface UpdateOptions {
    /** A filter the document must match for the update to happen: `{state: 'submitted'}`. */
    expect?: Filter
  }

  /** JSON documents scoped to this tenant and this plugin. Needs `permissions.storage`. */
  export interface Collection<T extends Record<string, Json> = Record<string, Json>> {
    insert(doc: T): Promise<Stored<T>>
    get(id: string): Promise<Stored<T> | null>
    /**
     * Merges `patch` into the document (its top-level fields replace the document's); null when there is no such
     * document, or when it does not match `options.expect`. The write lands only on the version it read, so of two
     * concurrent updates with the same `expect` (a dossier moving from `submitted`) exactly one succeeds, and two
     * patches of different fields both land. Throws `Conflict` when the document kept changing under it.
     */
    update(id: string, patch: Partial<T>, options?: UpdateOptions): Promise<Stored<T> | null>
    remove(id: string): Promise<boolean>
    find(filter?: Filter, options?: FindOptions): Promise<Array<Stored<T>>>
    count(filter?: Filter): Promise<number>
    aggregate(spec: AggregateSpec): Promise<Array<Record<string, Json>>>
  }

  /** A document read across the unit tree: `_tenant` is the code of the unit it belongs to. */
  export type Placed<T> = Stored<T> & { _tenant: string }

  /**
   * The same plugin's documents of this unit and, read only, its ancestors' (`lineage`: nearest first when
   * unsorted, e.g. a commune's own price list before its province's) or its descendants' (`subtree`: a province's
   * report over its communes; `groupBy: ['_tenant']` groups by unit). Needs `permissions.storage.read` naming the
   * scope. Writing through it throws `InvalidArgument`: each unit writes only its own documents.
   */
  export interface ScopedCollection<T extends Record<string, Json> = Record<string, Json>> {
    get(id: string): Promise<Placed<T> | null>
    find(filter?: Filter, options?: FindOptions): Promise<Array<Placed<T>>>
    count(filter?: Filter): Promise<number>
    aggregate(spec: AggregateSpec): Promise<Array<Record<string, Json>>>
  }

  /** One write of a `storage.batch`, on a collection of this unit. */
  export type BatchOperation =
    | { op: 'insert', collection: string, doc: Record<string, Json> }
    | { op: 'update', collection: string, id: string, patch: Record<string, Json>, expect?: Filter }
    | { op: 'remove', collection: string, id: string }

  export const storage: {
    /**
     * Runs 1 to 20 writes together, all or nothing: each one's result in order, or null (nothing written) when an
     * update or a remove finds no document, or one that does not match its `expect`. An operation that throws
     * writes nothing either (a dossier and its history entry land together, or neither does).
     */
    batch(operations: BatchOperation[]): Promise<Array<Stored<Record<string, Json>> | true> | null>
    /** A collection by name (`^[a-z][a-z0-9_-]{0,63}$`). */
    collection<T extends Record<string, Json> = Record<string, Json>>(name: string): Collection<T>
    collection<T extends Record<string, Json> = Record<string, Json>>(name: string, options: { scope: 'lineage' | 'subtree' }): ScopedCollection<T>
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

  export interface ExchangeRequest {
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD'
    /** Below the endpoint's base URL, starting with '/'; no '..', '?', '#' or '%' (the platform encodes it). */
    path?: string
    query?: Record<string, string | number | boolean | Array<string | number | boolean>>
    /** The plugin's own headers; the endpoint's credentials and `X-Correlation-Id` are the platform's. */
    headers?: Record<string, string>
    /** Sent as JSON (`Content-Type: application/json`). */
    json?: Json
    /** Sent as it is; give `json` or `body`, not both. At most 1 MiB. */
    body?: string
  }

  /** `T`: what the other system's JSON is (unchecked: it is another system's answer). */
  export interface ExchangeResponse<T = any> {
    status: number
    headers: Record<string, string>
    /** The answer parsed, when it came as JSON. */
    json?: T
    /** The answer as text, otherwise (at most 5 MiB). */
    body?: string
    /** The id sent as `X-Correlation-Id` and kept in the exchange log. */
    correlationId: string
  }

  /**
   * Calls another system through an endpoint a tenant administrator configured for this installation (its URL,
   * credentials, time limit, retries): the plugin never sees the credentials. Every call is in the unit's exchange log
   * with the SHA-512 of request and response. Needs the endpoint's name in `permissions.exchange`. An upstream answer
   * of any status resolves; a call that could not be made throws `ExchangeError` (`code`: `EXCH_ERR_CIRCUIT_OPEN`,
   * `EXCH_ERR_TIMEOUT`, …), which, uncaught, answers the route's caller with that code.
   */
  export const exchange: { call<T = any>(endpoint: string, request?: ExchangeRequest): Promise<ExchangeResponse<T>> }

  /** Needs the name in `permissions.secrets`; set by a tenant administrator, never logged. */
  export const secrets: { get(name: string): Promise<string | null> }

  /**
   * Needs the type in `permissions.events.publish`. Delivered, at least once and in order, to the handlers that the
   * unit's installations name for it under `permissions.events.subscribe` (the body is an `EventDelivery`).
   */
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

  /**
   * Needs `permissions.audit`. Appends an entry to the platform's hash-chained audit log, as
   * `plugin:{your plugin's name}:{action}`, with this unit, the caller (null on a public route) and the request's id:
   * what an inspector reads beside the platform's own entries. `action`: lower-case letters, digits, `.`, `_`, `-`
   * (`'dossier.approved'`); `target` at most 256 characters; `details` at most 4 KiB of JSON.
   */
  export const audit: { record(action: string, target?: string | null, details?: Record<string, Json>): Promise<null> }

  /**
   * Needs the handler in `permissions.timers`. Runs an exported handler of this plugin later, at least once: as a
   * request with no user, whose `body` is `payload`, at this unit and mount, by whichever version is installed then
   * (not at all if the plugin was uninstalled there or its version revoked). A handler that throws or answers 5xx
   * is tried again after 1, 2, 4 and 8 s, then dropped. A handler cut short (its node died) runs again within 15 s on
   * another node: make its effect once with `update(id, patch, {expect})`. A deadline per record (a dossier due in 15
   * days), not a cron.
   */
  export const timers: {
    /**
     * `when`: a Date, an ISO 8601 string or milliseconds since 1970, at most 366 days ahead; `payload` at most 16 KiB
     * of JSON. The timer's id.
     */
    at(when: Date | string | number, handler: string, payload?: Json): Promise<string>
    /** Cancels a timer this installation set; false when it has run or never was. */
    cancel(id: string): Promise<boolean>
  }

  /** Needs no permission. Digests run on the host: the sandbox has no crypto of its own. */
  export const crypto: {
    /**
     * The hex digest of a string's UTF-8 bytes as they are, or of any other JSON value in canonical form (RFC 8785,
     * every string in Unicode NFC first, so `Nguyễn` typed on any keyboard digests the same): what a form's
     * signature covers. At most 4 MiB.
     */
    digest(algorithm: 'SHA-256' | 'SHA-384' | 'SHA-512', data: Json): Promise<string>
  }

  /** Why a signature does or does not hold: each failure its own code. */
  export type SignatureCode = 'SIG_OK' | 'SIG_MALFORMED' | 'SIG_INVALID' | 'SIG_EXPIRED' | 'SIG_KEY_USAGE' | 'SIG_UNTRUSTED' | 'SIG_REVOKED' | 'SIG_REVOCATION_UNKNOWN' | 'SIG_NOT_SIGNER'

  export interface SignatureCheck {
    ok: boolean
    code: SignatureCode
    message: string
    /** The signer's certificate, once the signature parsed and matched. */
    signer?: { subject: string, fingerprint: string, notBefore: string, notAfter: string }
    signingTime?: string
    /** On SIG_OK: `good`, the authority's current revocation list does not name the certificate; `unchecked`: none. */
    revocation?: 'good' | 'unchecked'
  }

  /**
   * Needs `permissions.signature`. Checks a detached CMS / CAdES-BES signature (a `.p7s` as its user's signing tool
   * makes it) over `content` (a string's UTF-8 bytes, or any other JSON value canonical with its strings in NFC, as
   * `crypto.digest` takes it), on the host: that it parses (SIG_MALFORMED), covers exactly these bytes
   * (SIG_INVALID), was made while the certificate was valid (SIG_EXPIRED), by a certificate that may sign documents
   * (SIG_KEY_USAGE), issued by an authority this unit or one above it trusts (SIG_UNTRUSTED, `trust-anchors` in the
   * API), not named by that authority's revocation list when one is held (SIG_REVOKED; SIG_REVOCATION_UNKNOWN when the
   * list held is past its next update), and registered by the signed-in user as theirs (SIG_NOT_SIGNER,
   * `/api/v1/me/certificates`).
   */
  export const signature: {
    verify(check: { signature: string, content: Json, signer: 'current-user' }): Promise<SignatureCheck>
    /**
     * Needs `permissions.seal`. Signs `content` (as `crypto.digest` takes it) with this unit's seal, a certificate
     * and key its administrator set (`PUT /api/v1/tenants/{code}/seal`): a detached CAdES-BES signature, in base64,
     * that `openssl cms -verify -binary -inform DER` accepts. The key stays on the host. `NotFound` when the unit has
     * no seal.
     */
    seal(content: Json): Promise<{ signature: string, certificate: string, signingTime: string }>
  }

  /** A file of this plugin at this unit. */
  export interface FileInfo {
    id: string
    /** As given, in Unicode NFC, without any path. */
    name: string
    /** The media type, checked against the bytes for uploads. */
    type: string
    size: number
    /** Hex SHA-256 of the bytes. */
    sha256: string
    createdAt: string
    /** False for an upload not kept yet (removed an hour after it came). */
    kept: boolean
  }

  /**
   * Needs `permissions.files`. This plugin's files at this unit (no other plugin's, no other unit's), kept by the
   * platform; at most 1 GiB per plugin and unit.
   */
  export const files: {
    info(id: string): Promise<FileInfo | null>
    /** The bytes, in base64 (default) or as UTF-8 text; at most 8 MiB (link larger files instead). */
    read(id: string, options?: { encoding?: 'base64' | 'utf8' }): Promise<(FileInfo & { content: string }) | null>
    /** A new kept file; `content` is text, or base64 with `encoding: 'base64'`; at most 8 MiB. */
    create(file: { name: string, type: string, content: string, encoding?: 'utf8' | 'base64' }): Promise<FileInfo>
    /** Keeps an upload (`request.files`); false when there is no such file. */
    keep(id: string): Promise<boolean>
    remove(id: string): Promise<boolean>
    /**
     * A download link (`/api/v1/files/{tenant}/{id}?expires=…&signature=…`) that works without a token until it
     * expires (`expiresIn` seconds, default 300, at most 86400): for an `<a href>` in a page. `NotFound` for no file.
     */
    url(id: string, options?: { expiresIn?: number }): Promise<string>
  }

  export interface ExportStatus {
    id: string
    /** `running` until the file is written (`done`) or it failed (`failed`, with `error`). */
    state: 'running' | 'done' | 'failed'
    /** Rows written so far. */
    rows: number
    /** The file written, once done: link it with `files.url`. */
    file: FileInfo | null
    error: string | null
    createdAt: string
  }

  /**
   * Needs `permissions.exports` (with `files` and `storage`). Writes this plugin's documents as a CSV (UTF-8 with a
   * BOM; cells that start like a formula are written as text) or XLSX file, on the host, a page of rows at a time,
   * at most 500,000 rows; two exports at once per plugin and unit.
   */
  export const exports: {
    start(job: {
      collection: string
      /** `lineage` or `subtree` need `permissions.storage.read`; `_tenant` is then a column too. */
      scope?: 'tenant' | 'lineage' | 'subtree'
      /** As `find` takes it. */
      filter?: Filter
      /** Fields (`'owner.name'`, `_id`, `_tenant`), or with a title each. */
      columns: Array<string | { field: string, title: string }>
      format: 'csv' | 'xlsx'
      /** The file's name, without the extension (default: the collection's). */
      name?: string
    }): Promise<{ id: string }>
    /** Null for an export that is not this plugin's at this unit. */
    status(id: string): Promise<ExportStatus | null>
  }

  export interface DirectoryUser {
    username: string
    displayName: string
    /** The roles the user holds at this unit: granted here, or above it with its descendants. */
    roles: string[]
  }

  export interface DirectoryUnit {
    code: string
    name: string
    /** The official administrative unit code, when the unit has one (`'79'`, `'26743'`). */
    adminUnitCode: string | null
  }

  /** Needs `permissions.directory`: who works at this unit, and where the unit sits in the tree. */
  export const directory: {
    /** The enabled users holding `role` (or any role) at this unit, by username; at most 1000. */
    users(options?: { role?: string }): Promise<DirectoryUser[]>
    /** The units from the root down to this one, and this one's children. */
    units(): Promise<{ lineage: DirectoryUnit[], children: DirectoryUnit[] }>
  }

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
   * `NotFound`, `Timeout` (the request's time ran out while the call waited), `QuotaExceeded` (storage), `Conflict`
   * (an update whose document kept changing), or
   * `HostError` (network error…).
   */
  export class HostError extends Error {}
  /** Thrown by `exchange.call` when the call could not be made; `code` is one of docs/errors.md's `EXCH_ERR_` codes. */
  export class ExchangeError extends Error {
    code: string
  }

  const sdk: {
    storage: typeof storage
    http: typeof http
    secrets: typeof secrets
    events: typeof events
    users: typeof users
    audit: typeof audit
    directory: typeof directory
    timers: typeof timers
    crypto: typeof crypto
    signature: typeof signature
    files: typeof files
    exports: typeof exports
    exchange: typeof exchange
    log: typeof log
    settings: typeof settings
    PermissionDenied: typeof PermissionDenied
    ExchangeError: typeof ExchangeError
  }
  export default sdk
}

/**
 * `plugin.json`, the package manifest (SPEC §6). The platform validates it against the JSON Schema
 * published at `/api/v1/schemas/plugin.json`; every error names its path.
 */
export interface Manifest {
  /** `@{tenant scope}/{name}`: only developers and tenant administrators of that tenant publish under it. */
  name: string
  /** Semantic version; `name@version` is immutable once uploaded. */
  version: string
  description?: string
  /** The platform engine range this plugin works with, e.g. `^1.0.0`. */
  engine: string
  /** The ES module exporting the handlers. */
  main: string
  /** `private` (default): only the publisher's subtree may install it; `public`: any tenant. */
  visibility?: 'private' | 'public'
  permissions?: {
    /**
     * `true`, or `{ read: ['lineage', 'subtree'] }` to read the same plugin's documents up or down the unit tree too.
     */
    storage?: boolean | { read?: Array<'lineage' | 'subtree'> }
    http?: { allow: string[] }
    secrets?: string[]
    events?: { publish?: string[], subscribe?: Record<string, string> }
    signature?: boolean
    /** `audit.record`: entries in the platform's audit log. */
    audit?: boolean
    /** `directory.users` and `directory.units`: the unit's users and roles, and where it sits in the tree. */
    directory?: boolean
    /** The handlers `timers.at` may run later (each must be exported by `main`). */
    timers?: string[]
    /** `files.*`, and routes that take uploads (`routes[].upload`). */
    files?: boolean
    /** `exports.start`: CSV or XLSX files of its documents; needs `files` and `storage`. */
    exports?: boolean
    /** `signature.seal`: sign with the unit's own seal (its key never reaches the plugin). */
    seal?: boolean
    /** The named outbound endpoints `exchange.call` may use; a tenant-admin configures each per installation. */
    exchange?: string[]
  }
  routes?: Array<{
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
    /** `/permits/:id` */
    path: string
    handler: string
    /** `public`, `user` (default), or a role held at the tenant. */
    access?: string
    /** A JSON Schema, or `{ "$ref": "#/schemas/name" }`. With `upload` as multipart, the form's text fields. */
    body?: Record<string, unknown>
    /**
     * The route takes files (POST or PUT; needs `permissions.files`): a `multipart/form-data` form of at most
     * `maxFiles` files (default), or the `raw` body as one file (its name from `?filename=`). Each file at most
     * `maxBytes` (50 MiB at most; 413 past it, nothing stored), of one of `types`, checked against its bytes (415).
     */
    upload?: { as?: 'multipart' | 'raw', maxBytes: number, maxFiles?: number, types: string[] }
  }>
  schemas?: Record<string, Record<string, unknown>>
  /** JSON Schema of the installation's settings; the console builds its form from it. */
  settings?: Record<string, unknown>
  /** Roles this plugin declares; tenant administrators grant them where the plugin is installed. */
  roles?: string[]
  limits?: { timeoutMs?: number, memoryMb?: number, hostCalls?: number }
  /** A folder of static pages, served at `/t/{tenant}/{mount}/ui/`. */
  ui?: string
  /**
   * Per collection, up to 8 indexes of up to 3 fields each (`[['state', 'createdAt'], ['owner.id']]`), created when
   * a version is approved: a `find`/`count` filtering on a prefix of an index's fields reads only the matching
   * documents of the unit instead of the whole collection.
   */
  collections?: Record<string, { indexes?: string[][] }>
}

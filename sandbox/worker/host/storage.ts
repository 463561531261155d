import type { Knex } from 'knex'
import type { Database } from '../../../core/db/database.ts'
import type { Statement } from '../../../core/db/pipeline.ts'
import { collectionSql, createDocumentSql, type Sql } from '../../document-sql.ts'
import type { PluginSpec, ReadScope, WorkerSettings } from '../../protocol.ts'
import { HostCallError, denied, invalid, objectArg, stringArg } from '../../host-error.ts'
import { LATER } from './later.ts'
import type { QueryThreads } from './query-threads.ts'
import { newDocumentId } from './document-id.ts'
import { createKeyedLimit } from '../../../core/keyed-limit.ts'

const COLLECTION = /^[a-z][a-z0-9_-]{0,63}$/
const MAX_DOCUMENT = 256 * 1024
const METRICS = new Set(['count', 'sum', 'avg', 'min', 'max'])
// What one query may cost: an offset is rows read and thrown away.
const MAX_OFFSET = 10_000
/** What one request may write, documents and event payloads together. */
export const BYTES_PER_REQUEST = 4 * 1024 * 1024
/**
 * Usage is counted afresh this often (a scan of the plugin's documents at the unit: tens of ms for
 * 100,000 on SQLite, so not per write) and kept up to date from this worker's own writes in between.
 */
const USAGE_RECOUNT_MS = 60_000
/** Storage calls one installation may have waiting for PostgreSQL at once (the pool has ten connections). */
const STORAGE_CALLS_IN_FLIGHT = 2
/** How many times an update whose document changed under it reads again before it gives up (`Conflict`). */
const UPDATE_ATTEMPTS = 8
/** Rows an aggregation answers at most (groups past them are cut). */
const MAX_GROUPS = 1000
/** Operations one `storage.batch` runs together at most. */
const MAX_BATCH = 20
/** The values of an `$in` a page in creation order merges one query each (more: one query, sorted). */
const MERGE_MAX = 12

type Doc = Record<string, unknown>
/** Whose documents a call reads: this tenant's, or up or down the unit tree too. */
type Scope = 'tenant' | ReadScope
interface Target { name: string, scope: Scope }
/** The group key that stands for the unit a document belongs to. */
const TENANT_KEY = '_tenant'
/** The scope a call names, for the transaction's row-level security (the operation checks it properly). */
const scopeOf = (collection: unknown): Scope => {
  const scope = (collection as { scope?: unknown } | null)?.scope
  return scope === 'lineage' || scope === 'subtree' ? scope : 'tenant'
}

type Query = Knex.QueryBuilder | Sql
/** One query of an operation: its rows are wanted, or the count of rows it changed. */
type Step = { rows: Query } | { change: Query }
/** A storage operation: yields its queries in turn, gets each one's result back. */
type Operation<T> = (table: () => Knex.QueryBuilder) => Generator<Step, T, unknown>

function * rows (query: Query): Generator<Step, Array<Record<string, any>>, unknown> {
  return (yield { rows: query }) as Array<Record<string, any>>
}
function * change (query: Query): Generator<Step, number, unknown> {
  return (yield { change: query }) as number
}
/** Runs an operation whose queries are answered in their own time by `exec`; a failed query is thrown into it. */
async function drive<T> (operation: Operation<T>, table: () => Knex.QueryBuilder, exec: (step: Step) => Promise<unknown>): Promise<T> {
  const work = operation(table)
  let next = work.next()
  while (next.done !== true) {
    let result: unknown
    try {
      result = await exec(next.value)
    } catch (error) {
      next = work.throw(error)
      continue
    }
    next = work.next(result)
  }
  return next.value
}
const isSql = (query: Query): query is Sql => 'sql' in query && typeof query.sql === 'string'
const native = (query: Query): Sql => (isSql(query) ? query : query.toSQL().toNative() as Sql)

/** PostgreSQL: what workers read documents through (migration 0016). */
const READ_VIEW = 'plugin_documents_read'
const SCOPE = 'tenant_id = ? and plugin = ? and collection = ? and doc_id = ?'
const GET_SQL = `select doc_id, data from plugin_documents where ${SCOPE} limit 1`
const INSERT_SQL = 'insert into plugin_documents (tenant_id, tenant_path, plugin, collection, doc_id, data, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)'
const REMOVE_SQL = `delete from plugin_documents where ${SCOPE}`
/**
 * PostgreSQL: what a storage call's transaction runs as (row-level security: writes at this tenant only; reads go
 * through `READ_VIEW`, scoped by `base`) and how long each statement may take.
 */
const SETTINGS_SQL = "select set_config('role', 'nentang_sandbox', true), set_config('nentang.tenant_id', ?, true), " +
  "set_config('nentang.tenant_path', ?, true), set_config('nentang.read_scope', ?, true), set_config('statement_timeout', ?, true)"

/**
 * `storage.collection(name)`: JSON documents scoped to (tenant, plugin), never anything else.
 * Every query is built from validated field names and bound values; the scope comes from the
 * installation, not from the plugin. On PostgreSQL each call runs as `nentang_sandbox` with the
 * tenant set for its transaction, so row-level security backs up the scoping.
 */
/** `quota`: what one plugin may keep at one unit, across its collections (the platform's settings). */
export function createStorage (db: Database, limits: WorkerSettings['quota'], threads?: QueryThreads) {
  const postgres = db.dialect === 'postgres'

  const settingsSql = db.knex.raw(SETTINGS_SQL, ['', '', '', '']).toSQL().toNative().sql
  const { jsonSql, numberSql, orderSql, groupSql, groupKey, field, applyFilter } = createDocumentSql(postgres)

  /**
   * Runs an operation's queries. Operations are generators that yield each query and get its
   * rows (or changed-row count) back, so one body serves both runners: `now` on this thread
   * (SQLite, its connections open: the plugin gets its answer within its call) and `later`
   * (PostgreSQL inside the row-level-security transaction, or SQLite before it has opened).
   */
  function now<T> (spec: PluginSpec, operation: Operation<T>): T | typeof LATER {
    allowed(spec)
    const sync = db.now()
    if (sync === undefined) return LATER
    // The writes join the transaction of this turn of the worker's event loop, committed at its end
    // (one commit for all the requests answered in it: a commit per call cost the storage route a
    // fifth of its throughput, measured). Plugin code runs inside that transaction only on the
    // worker's own thread, for 250 ms at most; a version that held it longer is stopped and never
    // runs there again (isolate-pool.ts), so other writers wait that long once, never fail.
    const work = operation(() => db.knex('plugin_documents'))
    let next = work.next()
    while (next.done !== true) {
      const step = next.value
      let result: unknown
      try {
        const { sql, bindings } = native('rows' in step ? step.rows : step.change)
        result = 'rows' in step ? sync.read(sql, bindings) : sync.write(sql, bindings)
      } catch (error) {
        next = work.throw(error)
        continue
      }
      next = work.next(result)
    }
    return next.value
  }

  // Storage calls one installation has waiting for the database, across its requests: on
  // PostgreSQL each holds a pooled connection, and one request's parallel counts once held all
  // ten while the worker's other tenants waited 80 s. The rest wait, until their request's deadline.
  const inFlight = createKeyedLimit({ running: STORAGE_CALLS_IN_FLIGHT, queued: Infinity })
  const late = (): Error => new HostCallError('Timeout', 'the storage call waited past the request\'s time')

  async function later<T> (spec: PluginSpec, operation: Operation<T>, deadline?: number, scope: Scope = 'tenant', atomic = false): Promise<T> {
    allowed(spec)
    if (postgres) {
      const release = (await inFlight.acquire(spec.key, deadline, late))!
      try {
        return await laterNow(spec, operation, deadline, scope, atomic)
      } catch (error) {
        if ((error as { code?: string }).code === '57014') throw new HostCallError('Timeout', 'the storage call ran past the request\'s time')
        throw error
      } finally {
        release()
      }
    }
    return laterNow(spec, operation, deadline, scope, atomic)
  }

  async function laterNow<T> (spec: PluginSpec, operation: Operation<T>, deadline: number | undefined, scope: Scope, atomic: boolean): Promise<T> {
    if (!postgres) {
      return drive(operation, () => db.knex('plugin_documents'), (step) => {
        const { sql, bindings } = native('rows' in step ? step.rows : step.change)
        return 'rows' in step ? db.read(sql, bindings) : db.write(sql, bindings)
      })
    }
    // Every statement ends by the request's deadline (57014 when cut), whatever the plugin asked.
    const left = (): number => {
      const ms = deadline === undefined ? 30_000 : Math.ceil(deadline - Date.now())
      if (ms <= 0) throw new HostCallError('Timeout', 'the request has no time left for a storage call')
      return ms
    }
    const settings = (): Statement => ({
      sql: settingsSql,
      params: [String(spec.tenantId), spec.tenantPath, scope, String(left())],
    })
    const statement = (step: Step): Statement => {
      const query = 'rows' in step ? step.rows : step.change
      const { sql, bindings } = isSql(query) ? db.knex.raw(query.sql, query.bindings as Knex.RawBinding[]).toSQL().toNative() : native(query)
      return { sql, params: bindings }
    }
    if (!atomic) {
      // Each query with its settings in one round trip, one transaction (pipeline.ts). The operations that run more
      // than one query hold without a transaction around them: an update compares and sets, a quota count is a count.
      return drive(operation, () => db.knex('plugin_documents'), async (step) => {
        const [, result] = await db.pipeline!([settings(), statement(step)])
        return 'rows' in step ? result!.rows : result!.rowCount
      })
    }
    return db.knex.transaction(async (trx) => {
      await trx.raw(SETTINGS_SQL, settings().params as Knex.RawBinding[])
      return drive(operation, () => trx('plugin_documents'), async (step) => {
        const query = 'rows' in step ? step.rows : step.change
        if (isSql(query)) {
          const result = await trx.raw(query.sql, query.bindings as Knex.RawBinding[])
          return 'rows' in step ? result.rows : Number(result.rowCount ?? 0)
        }
        return 'rows' in step ? await query : Number(await query)
      })
    })
  }

  /**
   * A batch on SQLite before the worker's own connections are open (its first moments): waits for them, since the
   * batch's savepoint must sit in the transaction those connections keep.
   */
  async function batchLater<T> (spec: PluginSpec, operation: Operation<T>): Promise<T> {
    for (let waited = 0; db.now() === undefined && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10))
    const answer = now(spec, operation)
    if (answer === LATER) throw new HostCallError('HostError', 'the database is not open yet')
    return answer
  }

  function allowed (spec: PluginSpec): void {
    const storage = spec.permissions.storage
    if (storage !== true && (storage === null || typeof storage !== 'object')) throw denied('the manifest does not ask for storage')
  }

  /** The documents of `target`: this tenant's, or (reading only) its ancestors' or descendants' too. */
  /**
   * The rows a call may touch: this unit's documents of the collection, or, to read, those of its lineage or subtree.
   * On PostgreSQL reads go through `plugin_documents_read` (migration 0016: under row-level security no JSON index
   * could serve them), so for reads these conditions are the whole of the scoping; writes stay under the policy.
   */
  function base (table: () => Knex.QueryBuilder, spec: PluginSpec, target: Target, write = false): Knex.QueryBuilder {
    const from = (): Knex.QueryBuilder => (postgres && !write ? table().from(READ_VIEW) : table())
    if (target.scope === 'tenant') return from().where({ tenant_id: spec.tenantId }).whereRaw(collectionSql(spec.name, target.name))
    if (write) throw denied('writes are at the unit only')
    const storage = spec.permissions.storage
    if (typeof storage !== 'object' || !(storage.read ?? []).includes(target.scope)) throw denied(`the manifest does not ask for storage.read: ['${target.scope}']`)
    const query = from().where({ plugin: spec.name, collection: target.name })
    if (target.scope === 'lineage') {
      const codes = spec.tenantPath.split('/')
      return query.whereIn('tenant_path', codes.map((_, i) => codes.slice(0, i + 1).join('/')))
    }
    return query.where((inner) => { inner.where('tenant_path', spec.tenantPath).orWhere('tenant_path', 'like', `${spec.tenantPath}/%`) })
  }

  const pageOf = (options: Record<string, unknown>): { limit: number, offset: number } => {
    const limit = options.limit ?? 100
    const offset = options.offset ?? 0
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 1000) throw invalid('limit is an integer from 1 to 1000')
    if (!Number.isInteger(offset) || (offset as number) < 0 || (offset as number) > MAX_OFFSET) throw invalid(`offset is an integer from 0 to ${MAX_OFFSET}`)
    return { limit: limit as number, offset: offset as number }
  }

  /** Keyset paging in the order documents were made: the next page starts after a document, however deep. */
  function pageAfter (query: Knex.QueryBuilder, spec: PluginSpec, target: Target, afterArg: unknown): void {
    const after = idArg(afterArg)
    const scoped = target.scope === 'tenant' ? 'tenant_id = ? and ' : ''
    query.whereRaw(`id > coalesce((select id from ${postgres ? READ_VIEW : 'plugin_documents'} where ${scoped}plugin = ? and collection = ? and doc_id = ?), ${Number.MAX_SAFE_INTEGER})`,
      [...(target.scope === 'tenant' ? [spec.tenantId] : []), spec.name, target.name, after])
  }

  /**
   * A page in creation order of a filter with one `$in` (an inbox: what waits for any of my roles) as a merge of one
   * query per value, each reading its first rows straight from a declared index in id order. One query with the
   * whole list cannot: it finds every match and sorts them (PostgreSQL, 165 ms over 100,000 waiting documents) or
   * walks the collection in id order testing each. Undefined when the call is not of that shape.
   */
  function mergedFind (
    table: () => Knex.QueryBuilder, spec: PluginSpec, target: Target, filterArg: unknown, options: Record<string, unknown>
  ): Sql | undefined {
    if (target.scope !== 'tenant' || options.sort !== undefined || options.offset !== undefined || filterArg === null || typeof filterArg !== 'object') return undefined
    const filter = filterArg as Record<string, unknown>
    const spread = Object.entries(filter).filter(([, condition]) => condition !== null && typeof condition === 'object' && !Array.isArray(condition) && '$in' in condition)
    if (spread.length !== 1 || '$or' in filter) return undefined
    const [name, condition] = spread[0]!
    const values = (condition as { $in: unknown }).$in
    if (Object.keys(condition as object).length !== 1 || !Array.isArray(values) || values.length < 2 || values.length > MERGE_MAX ||
      values.some((value) => value === null || typeof value === 'object')) return undefined
    const { limit } = pageOf(options)
    const branches = [...new Set(values)].map((value, i) => {
      const query = base(table, spec, target).select('id', 'doc_id', 'data')
      applyFilter(query, { ...filter, [name]: value })
      if (options.after !== undefined) pageAfter(query, spec, target, options.after)
      const { sql, bindings } = query.orderBy('id').limit(limit).toSQL()
      return { sql: `select * from (${sql}) as b${i}`, bindings }
    })
    return {
      sql: `select doc_id, data from (${branches.map((branch) => branch.sql).join(' union all ')}) as merged order by id limit ${limit}`,
      bindings: branches.flatMap((branch) => branch.bindings),
    }
  }

  const parse = (row: { doc_id: string, data: unknown, tenant_path?: unknown }): Doc => {
    const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Doc
    // Read across the unit tree, each document says whose it is.
    return row.tenant_path === undefined ? { ...data, _id: row.doc_id } : { ...data, _id: row.doc_id, _tenant: String(row.tenant_path).split('/').at(-1) }
  }

  function documentArg (value: unknown): { data: Doc, text: string } {
    const data = { ...objectArg(value, 'the document') }
    delete data._id
    const text = JSON.stringify(data)
    if (text.length > MAX_DOCUMENT) throw invalid(`a document is at most ${MAX_DOCUMENT} characters of JSON`)
    return { data, text }
  }

  /** A collection as a call names it: `'name'` (this tenant's), or `{name, scope}` to read across the unit tree. */
  const targetArg = (value: unknown): Target => {
    if (typeof value === 'string') return { name: collectionName(value), scope: 'tenant' }
    const arg = objectArg(value, 'the collection')
    const scope = arg.scope ?? 'tenant'
    if (scope !== 'tenant' && scope !== 'lineage' && scope !== 'subtree') throw invalid("a collection's scope is 'lineage' or 'subtree'")
    return { name: collectionName(arg.name), scope }
  }
  /** A collection written to: only this tenant's (a lineage or subtree collection reads only). */
  const collectionArg = (value: unknown): string => {
    const target = targetArg(value)
    if (target.scope !== 'tenant') throw invalid(`a ${target.scope} collection is read-only: write through storage.collection('${target.name}')`)
    return target.name
  }
  const collectionName = (value: unknown): string => {
    const name = stringArg(value, 'the collection name', 64)
    if (!COLLECTION.test(name)) throw invalid('a collection name is lower-case letters, digits, - and _')
    return name
  }
  const idArg = (value: unknown): string => stringArg(value, 'the document id', 36)

  function * one (spec: PluginSpec, collection: string, docId: string): Generator<Step, { doc_id: string, data: unknown } | undefined, unknown> {
    return (yield * rows({ sql: GET_SQL, bindings: [spec.tenantId, spec.name, collection, docId] }))[0] as { doc_id: string, data: unknown } | undefined
  }

  // Per (tenant, plugin): documents and bytes as last counted, plus what this worker wrote since.
  // Writes on other nodes show at the next count, a minute later at most: a plugin overshoots by
  // a minute of writes at most, never by the 100 MB one anonymous request once wrote.
  const usage = new Map<string, { documents: number, bytes: number, countedAt: number }>()

  function * quota (spec: PluginSpec, written: { bytes: number }, addDocuments: number, addBytes: number): Generator<Step, void, unknown> {
    written.bytes += addBytes
    if (written.bytes > BYTES_PER_REQUEST) throw new HostCallError('QuotaExceeded', `one request writes at most ${BYTES_PER_REQUEST} bytes of documents`)
    const key = `${spec.tenantId}\u0000${spec.name}`
    let known = usage.get(key)
    if (known === undefined || Date.now() - known.countedAt > USAGE_RECOUNT_MS) {
      const [row] = yield * rows({ sql: `select count(*) as documents, coalesce(sum(length(${postgres ? 'data::text' : 'data'})), 0) as bytes from plugin_documents where tenant_id = ? and plugin = ?`, bindings: [spec.tenantId, spec.name] })
      if (usage.size > 10_000) usage.clear()
      known = { documents: Number(row?.documents ?? 0), bytes: Number(row?.bytes ?? 0), countedAt: Date.now() }
      usage.set(key, known)
    }
    if (known.documents + addDocuments > limits.documents) throw new HostCallError('QuotaExceeded', `a plugin keeps at most ${limits.documents} documents at a unit`)
    if (known.bytes + addBytes > limits.bytes) throw new HostCallError('QuotaExceeded', `a plugin keeps at most ${limits.bytes} bytes of documents at a unit`)
    known.documents += addDocuments
    known.bytes += addBytes
  }

  const operations: Record<string, (spec: PluginSpec, args: unknown[], written: { bytes: number }) => Operation<unknown>> = {
    insert: (spec, args, written) => function * () {
      const collection = collectionArg(args[0])
      const { data, text } = documentArg(args[1])
      yield * quota(spec, written, 1, text.length)
      const now = new Date().toISOString()
      const docId = newDocumentId()
      yield * change({ sql: INSERT_SQL, bindings: [spec.tenantId, spec.tenantPath, spec.name, collection, docId, text, now, now] })
      return { ...data, _id: docId }
    },
    get: (spec, args) => function * (table) {
      const target = targetArg(args[0])
      const docId = idArg(args[1])
      if (target.scope === 'tenant') {
        const row = yield * one(spec, target.name, docId)
        return row === undefined ? null : parse(row)
      }
      const [row] = yield * rows(base(table, spec, target).where('doc_id', docId).select('doc_id', 'data', 'tenant_path').limit(1))
      return row === undefined ? null : parse(row as { doc_id: string, data: unknown, tenant_path: string })
    },
    update: (spec, args, written) => function * (table) {
      const collection = collectionArg(args[0])
      const docId = idArg(args[1])
      const patch = documentArg(args[2]).data
      const options = objectArg(args[3] ?? {}, 'the options')
      const expect = options.expect === undefined ? undefined : objectArg(options.expect, 'expect')
      // Compare-and-set: the write lands only on the version that was read and, with `expect`, only
      // while the document still matches it. A write that lost a race reads again and tries again,
      // so two officers acting on one dossier never both succeed, and two patches never lose one.
      for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
        const row = yield * one(spec, collection, docId)
        if (row === undefined) return null
        const before = typeof row.data === 'string' ? row.data : JSON.stringify(row.data)
        const merged = { ...parse(row), ...patch }
        delete merged._id
        const text = JSON.stringify(merged)
        if (text.length > MAX_DOCUMENT) throw invalid(`a document is at most ${MAX_DOCUMENT} characters of JSON`)
        if (attempt === 0) yield * quota(spec, written, 0, Math.max(0, text.length - before.length))
        const query = base(table, spec, { name: collection, scope: 'tenant' }, true).where('doc_id', docId).whereRaw(postgres ? 'data = ?::jsonb' : 'data = ?', [before])
        if (expect !== undefined) applyFilter(query, expect)
        if ((yield * change(query.update({ data: text, updated_at: new Date().toISOString() }))) > 0) return { ...merged, _id: docId }
        if (expect !== undefined) {
          const now = yield * one(spec, collection, docId)
          // Unchanged since it was read: it does not match `expect`.
          if (now === undefined || (typeof now.data === 'string' ? now.data : JSON.stringify(now.data)) === before) return null
        }
      }
      throw new HostCallError('Conflict', 'the document kept changing while it was updated; try again')
    },
    remove: (spec, args) => function * () {
      return (yield * change({ sql: REMOVE_SQL, bindings: [spec.tenantId, spec.name, collectionArg(args[0]), idArg(args[1])] })) > 0
    },
    batch: (spec, args, written) => function * (table) {
      const items = args[0]
      if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH) throw invalid(`a batch is an array of 1 to ${MAX_BATCH} operations`)
      const steps = items.map((value, i) => {
        const item = objectArg(value, `operation ${i}`)
        if (item.op === 'insert') return operations.insert!(spec, [item.collection, item.doc], written)
        if (item.op === 'update') return operations.update!(spec, [item.collection, item.id, item.patch, item.expect === undefined ? {} : { expect: item.expect }], written)
        if (item.op === 'remove') return operations.remove!(spec, [item.collection, item.id], written)
        throw invalid(`operation ${i}: op is insert, update or remove`)
      })
      // All or nothing: a savepoint inside the call's transaction (on SQLite, the turn's), rolled back when an
      // operation fails, or when an update or a remove finds no document (or one that does not match `expect`).
      yield * change({ sql: 'savepoint nentang_batch', bindings: [] })
      const results: unknown[] = []
      try {
        for (const step of steps) {
          const result = yield * step(table)
          if (result === null || result === false) {
            yield * change({ sql: 'rollback to savepoint nentang_batch', bindings: [] })
            yield * change({ sql: 'release savepoint nentang_batch', bindings: [] })
            return null
          }
          results.push(result)
        }
      } catch (error) {
        yield * change({ sql: 'rollback to savepoint nentang_batch', bindings: [] })
        yield * change({ sql: 'release savepoint nentang_batch', bindings: [] })
        throw error
      }
      yield * change({ sql: 'release savepoint nentang_batch', bindings: [] })
      return results
    },
    find: (spec, args) => function * (table) {
      const target = targetArg(args[0])
      const options = objectArg(args[2] ?? {}, 'the options')
      const merged = mergedFind(table, spec, target, args[1], options)
      if (merged !== undefined) return (yield * rows(merged)).map((row) => parse(row as { doc_id: string, data: unknown }))
      const query = base(table, spec, target).select(...(target.scope === 'tenant' ? ['doc_id', 'data'] : ['doc_id', 'data', 'tenant_path']))
      applyFilter(query, args[1])
      const sort = options.sort === undefined ? [] : Array.isArray(options.sort) ? options.sort : [options.sort]
      if (sort.length > 3) throw invalid('sort by at most 3 fields')
      for (const key of sort) {
        if (typeof key !== 'string') throw invalid("sort takes field names, '-field' for descending")
        const descending = key.startsWith('-')
        query.orderByRaw(orderSql(jsonSql(field(descending ? key.slice(1) : key, 'a sort field')), descending ? 'desc' : 'asc'))
      }
      // Up the tree, the nearest unit's documents come first (a commune's own price before its province's).
      if (sort.length === 0 && target.scope === 'lineage') query.orderByRaw('length(tenant_path) desc')
      query.orderBy('id')
      if (options.after !== undefined) {
        if (sort.length > 0 || target.scope === 'lineage' || options.offset !== undefined) throw invalid('after pages in the order documents were made: not with sort, offset or a lineage scope')
        pageAfter(query, spec, target, options.after)
      }
      const { limit, offset } = pageOf(options)
      return (yield * rows(query.limit(limit).offset(offset))).map((row) => parse(row as { doc_id: string, data: unknown }))
    },
    count: (spec, args) => function * (table) {
      const query = base(table, spec, targetArg(args[0]))
      applyFilter(query, args[1])
      const [row] = yield * rows(query.count({ n: '*' }))
      return Number(row?.n ?? 0)
    },
    aggregate: (spec, args) => function * (table) {
      const request = objectArg(args[1], 'the aggregation')
      const groupBy = request.groupBy === undefined ? [] : (Array.isArray(request.groupBy) ? request.groupBy : [request.groupBy]).map((g) => g === TENANT_KEY ? g : field(g, 'groupBy'))
      if (groupBy.length > 3) throw invalid('group by at most 3 fields')
      const metrics = objectArg(request.metrics ?? { count: { op: 'count' } }, 'metrics')
      const query = base(table, spec, targetArg(args[0]))
      applyFilter(query, request.filter)
      // `_tenant` groups by unit (a province's report over its communes).
      const keySql = (g: string): string => g === TENANT_KEY ? 'tenant_path' : groupSql(g)
      const selects: string[] = groupBy.map((g, i) => `${keySql(g)} as g${i}`)
      const names = Object.keys(metrics)
      if (names.length === 0 || names.length > 10) throw invalid('ask for 1 to 10 metrics')
      names.forEach((name, i) => {
        const metric = objectArg(metrics[name], `metric '${name}'`)
        if (!METRICS.has(String(metric.op))) throw invalid(`metric '${name}': op is one of ${[...METRICS].join(', ')}`)
        if (metric.op === 'count') {
          selects.push(`count(*) as m${i}`)
        } else {
          // Numbers only: a string or a boolean in the field counts as missing, on both databases.
          selects.push(`${metric.op}(${numberSql(field(metric.field, `metric '${name}' field`))}) as m${i}`)
        }
      })
      query.select(db.knex.raw(selects.join(', ')))
      groupBy.forEach((g) => query.groupByRaw(keySql(g)))
      query.limit(MAX_GROUPS)
      groupBy.forEach((g) => query.orderByRaw(g === TENANT_KEY ? 'tenant_path asc' : orderSql(groupSql(g), 'asc')))
      let found: Array<Record<string, unknown>>
      try {
        found = yield * rows(query)
      } catch (error) {
        if (error instanceof HostCallError) throw error
        throw new HostCallError('InvalidArgument', `the aggregation could not run: ${(error as Error).message.slice(0, 120)}`)
      }
      return found.map((row) => {
        const out: Record<string, unknown> = {}
        groupBy.forEach((g, i) => { out[g] = g === TENANT_KEY ? String(row[`g${i}`]).split('/').at(-1) : groupKey(row[`g${i}`]) })
        names.forEach((name, i) => { out[name] = row[`m${i}`] === null ? null : Number(row[`m${i}`]) })
        return out
      })
    },
  }

  /**
   * On SQLite, the queries that may read a whole collection (aggregates, counts, searches) run on a query thread,
   * within the request's time, never on the worker's thread (query-threads.ts).
   */
  const offThread = (op: string, args: unknown[]): boolean => threads !== undefined &&
    (op === 'aggregate' || op === 'count' || (op === 'find' && JSON.stringify(args[1] ?? null).includes('"$search"')))

  async function onThread<T> (spec: PluginSpec, operation: Operation<T>, deadline: number | undefined): Promise<T> {
    allowed(spec)
    // What this turn wrote is committed first: the thread's connection sees only committed writes.
    db.now()?.commit()
    return drive(operation, () => db.knex('plugin_documents'), (step) => {
      if (!('rows' in step)) throw new Error('a query thread only reads')
      const { sql, bindings } = native(step.rows)
      return threads!.all(sql, bindings, deadline)
    })
  }

  return {
    /** Answers `storage.<op>` on this thread, or LATER when it cannot here. */
    now: (op: string, spec: PluginSpec, args: unknown[], written: { bytes: number }): unknown =>
      offThread(op, args) ? LATER : now(spec, operations[op]!(spec, args, written)),
    later: (
      op: string,
      spec: PluginSpec,
      args: unknown[],
      written: { bytes: number },
      deadline?: number
    ): Promise<unknown> => op === 'batch' && !postgres
      ? batchLater(spec, operations[op]!(spec, args, written))
      : offThread(op, args)
        ? onThread(spec, operations[op]!(spec, args, written), deadline)
        : later(spec, operations[op]!(spec, args, written), deadline, scopeOf(args[0]), op === 'batch'),
    operations: Object.keys(operations),
  }
}

import type { Knex } from 'knex'
import { fold } from '../core/db/fold.ts'
import { invalid, objectArg } from './host-error.ts'

/**
 * The SQL of plugin documents' queries, shared by the worker's storage (sandbox/worker/host/storage.ts) and the
 * gateway's exports (platform/exports.ts), so a filter means the same in both: fields as JSON on either database,
 * typed ordering, group keys, and filters from validated field names and bound values.
 */

const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,4}$/
const OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$search'])
/** Filters one `$or` may join. */
const MAX_OR = 10
// What one query may cost: each filter condition is a JSON extraction per row scanned (990 of them
// once ran 2.7 s on a worker's thread).
const MAX_FILTER_FIELDS = 10
const MAX_FILTER_CONDITIONS = 20

/** Plugin names (the registry's pattern) and collection names: nothing else may be written into SQL as it is. */
const SQL_NAME = /^[@a-z0-9/_.-]{1,200}$/

/**
 * `plugin = '…' and collection = '…'` with both names as literals: SQLite uses a declared (partial) index only when
 * the query names the index's own plugin and collection, and a bound value proves nothing to its planner. The
 * storage queries, the exports and the index definitions all name a collection this way.
 */
export function collectionSql (plugin: string, collection: string): string {
  if (!SQL_NAME.test(plugin) || !SQL_NAME.test(collection)) throw invalid('not a plugin or collection name')
  return `plugin = '${plugin}' and collection = '${collection}'`
}

/** SQL with `?` placeholders, for the queries whose shape never changes (no knex to build them). */
export interface Sql { sql: string, bindings: unknown[] }

export function createDocumentSql (postgres: boolean) {
  /**
   * SQL for a document field: `json_extract(data, '$.a.b')` or `(data #> '{a,b}')`. Field names are validated first.
   */
  const fieldSql = (field: string): string => postgres ? `(data #> '{${field.split('.').join(',')}}')` : `json_extract(data, '$.${field}')`
  /** A field as JSON: jsonb on PostgreSQL, JSON text on SQLite; SQL null when the document lacks it. */
  const jsonSql = (field: string): string => postgres ? fieldSql(field) : `(data -> '$.${field}')`
  /**
   * The JSON type of a JSON value, in PostgreSQL's words: null (also when missing), boolean, number, string, array,
   * object.
   */
  const typeOf = (json: string): string => postgres
    ? `coalesce(jsonb_typeof(${json}), 'null')`
    : `(case coalesce(json_type(${json}), 'null') when 'true' then 'boolean' when 'false' then 'boolean' when 'integer' then 'number' when 'real' then 'number' when 'text' then 'string' else coalesce(json_type(${json}), 'null') end)`
  /** A field's value as an SQL number when it is a JSON number, else null. */
  const numberSql = (field: string): string => postgres
    ? `(case when jsonb_typeof(${fieldSql(field)}) = 'number' then (${fieldSql(field)})::numeric end)`
    : `(case when json_type(data, '$.${field}') in ('integer', 'real') then ${fieldSql(field)} end)`
  /**
   * The keys that order a JSON value, the same on both databases: missing and null first, then false before true,
   * numbers by value, strings by code point, arrays and objects last (ties go by creation, the caller's last key).
   */
  const orderSql = (json: string, direction: 'asc' | 'desc'): string => {
    const type = typeOf(json)
    const rank = `(case ${type} when 'boolean' then 1 when 'number' then 2 when 'string' then 3 when 'array' then 4 when 'object' then 4 else 0 end)`
    const scalar = postgres
      ? `(case ${type} when 'boolean' then (case when ${json} = 'true'::jsonb then 1 else 0 end) when 'number' then (${json})::numeric end)`
      : `(case when ${type} in ('boolean', 'number') then (${json} ->> '$') end)`
    const text = postgres ? `((case ${type} when 'string' then (${json} #>> '{}') end) collate "C")` : `(case ${type} when 'string' then (${json} ->> '$') end)`
    return [rank, scalar, text].map((key) => `${key} ${direction}`).join(', ')
  }
  /**
   * What a group's key is: the field as JSON, missing and null alike (PostgreSQL hands jsonb back parsed, SQLite as
   * text).
   */
  const groupSql = (field: string): string => `coalesce(${jsonSql(field)}, ${postgres ? "'null'::jsonb" : "'null'"})`
  const groupKey = (value: unknown): unknown => postgres ? value : JSON.parse(String(value))
  const bind = (value: unknown): Knex.Value => {
    if (postgres) return JSON.stringify(value)
    return (typeof value === 'boolean' ? (value ? 1 : 0) : value) as Knex.Value
  }
  const placeholder = postgres ? '?::jsonb' : '?'

  function field (value: unknown, what: string): string {
    if (typeof value !== 'string' || !FIELD.test(value)) throw invalid(`${what} must be a field name like 'plate' or 'owner.name'`)
    return value
  }

  function applyFilter (query: Knex.QueryBuilder, filterArg: unknown): void {
    for (const { sql, bindings } of filterSql(filterArg, { conditions: 0 }, true)) query.whereRaw(sql, bindings as Knex.RawBinding[])
  }

  /** A filter as SQL conditions, all of which must hold; `$or` (one level deep) holds when any of its filters does. */
  function filterSql (filterArg: unknown, budget: { conditions: number }, top: boolean): Sql[] {
    const filter = objectArg(filterArg ?? {}, 'the filter')
    const fields = Object.entries(filter)
    if (fields.length > MAX_FILTER_FIELDS) throw invalid(`a filter names at most ${MAX_FILTER_FIELDS} fields`)
    const out: Sql[] = []
    for (const [name, condition] of fields) {
      if (name === '$or') {
        if (!top) throw invalid('$or is not nested in another $or')
        if (!Array.isArray(condition) || condition.length === 0 || condition.length > MAX_OR) throw invalid(`$or takes an array of 1 to ${MAX_OR} filters`)
        const branches = condition.map((branch) => filterSql(branch, budget, false))
        const sql = branches.map((branch) => branch.length === 0 ? '1 = 1' : `(${branch.map((part) => part.sql).join(' and ')})`).join(' or ')
        out.push({ sql: `(${sql})`, bindings: branches.flat().flatMap((part) => part.bindings) })
        continue
      }
      const path = field(name, `filter field '${name.slice(0, 64)}'`)
      const ops: Record<string, unknown> = condition !== null && typeof condition === 'object' && !Array.isArray(condition) ? condition as Record<string, unknown> : { $eq: condition }
      for (const [op, value] of Object.entries(ops)) {
        if (++budget.conditions > MAX_FILTER_CONDITIONS) throw invalid(`a filter has at most ${MAX_FILTER_CONDITIONS} conditions`)
        if (!OPERATORS.has(op)) throw invalid(`unknown operator '${op.slice(0, 16)}' (use ${[...OPERATORS].join(', ')})`)
        out.push(conditionSql(path, op, value))
      }
    }
    return out
  }

  function conditionSql (path: string, op: string, value: unknown): Sql {
    const x = fieldSql(path)
    if (op === '$in' || op === '$nin') {
      if (!Array.isArray(value) || value.length === 0 || value.length > 100) throw invalid(`${op} takes an array of 1 to 100 values`)
      const list = `(${value.map(() => placeholder).join(', ')})`
      // `$nin` also matches documents without the field, as a missing value is none of those listed.
      return { sql: op === '$in' ? `${x} in ${list}` : `(${x} is null or ${x} not in ${list})`, bindings: value.map(bind) }
    }
    if (op === '$exists') {
      if (typeof value !== 'boolean') throw invalid('$exists takes true or false')
      const present = postgres ? `${x} is not null` : `json_type(data, '$.${path}') is not null`
      return { sql: value ? present : `not (${present})`, bindings: [] }
    }
    if (op === '$search') {
      if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw invalid('$search takes words to find, 1 to 200 characters')
      const words = fold(value).split(/\s+/).filter(Boolean)
      if (words.length === 0 || words.length > 10) throw invalid('$search takes 1 to 10 words')
      // Every word, anywhere in the text, ignoring case and Vietnamese marks ("nguyen van" finds "Nguyễn Văn An").
      const patterns = words.map((word) => `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
      if (postgres) {
        // The text folded once per document, whatever the number of words.
        const folded = `nentang_fold(case jsonb_typeof(${x}) when 'string' then ${x} #>> '{}' end)`
        // (`like all` takes no ESCAPE clause; PostgreSQL's default escape is the backslash the patterns use.)
        return { sql: `(${folded} like all (array[${words.map(() => '?').join(', ')}]))`, bindings: patterns }
      }
      return { sql: `(${words.map(() => `nentang_fold(${x}) like ? escape '\\'`).join(' and ')})`, bindings: patterns }
    }
    if (value === null) {
      if (op !== '$eq' && op !== '$ne') throw invalid(`${op} cannot compare with null`)
      return { sql: postgres ? `coalesce(${x}, 'null'::jsonb) ${op === '$eq' ? '=' : '<>'} 'null'::jsonb` : `${x} is ${op === '$eq' ? '' : 'not '}null`, bindings: [] }
    }
    if (typeof value === 'object') throw invalid(`filter values are strings, numbers, booleans or null (field '${path}')`)
    const sqlOp = { $eq: '=', $ne: '<>', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op as '$eq']
    return { sql: `${x} ${sqlOp} ${placeholder}`, bindings: [bind(value)] }
  }

  return { fieldSql, jsonSql, typeOf, numberSql, orderSql, groupSql, groupKey, bind, placeholder, field, applyFilter, filterSql }
}

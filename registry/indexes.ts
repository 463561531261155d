import { createHash } from 'node:crypto'
import type { Database } from '../core/db/database.ts'
import type { Logger } from '../core/logger.ts'
import { collectionSql, createDocumentSql } from '../sandbox/document-sql.ts'
import type { Manifest } from './manifest.ts'

/** What a manifest may declare per collection (SPEC §6 `collections`). */
export const MAX_INDEXES = 8
export const MAX_INDEX_FIELDS = 3

export interface DeclaredIndex { name: string, plugin: string, collection: string, fields: string[] }

/** The indexes a manifest declares, each named by what it covers (the same declaration, the same index). */
export function declaredIndexes (manifest: Manifest): DeclaredIndex[] {
  return Object.entries(manifest.collections ?? {}).flatMap(([collection, declared]) => (declared.indexes ?? []).map((fields) => ({
    // (`id` names the second form: the first, on PostgreSQL, did not end with the row id.)
    name: `pdx_${createHash('sha256').update(`${manifest.name}\n${collection}\n${fields.join(',')}\nid`).digest('hex').slice(0, 24)}`,
    plugin: manifest.name,
    collection,
    fields,
  })))
}

/**
 * The statement that creates one declared index: partial (this plugin's collection only, so no other plugin's rows
 * pay for it), on the tenant and the very expressions storage filters with (`json_extract(data, '$.state')`,
 * `(data #> '{state}')`), so the planner uses it for `find({state: …})` at a unit. On PostgreSQL it is built
 * concurrently: approving a version never locks the table other tenants write.
 */
export function indexStatement (postgres: boolean, index: DeclaredIndex): string {
  const sql = createDocumentSql(postgres)
  // Last, the row's id: a page in creation order of the rows that match the fields is read in index order
  // (SQLite's indexes end with the row id by themselves).
  const columns = ['tenant_id', ...index.fields.map((field) => sql.fieldSql(sql.field(field, 'an index field'))), ...(postgres ? ['id'] : [])].join(', ')
  return `create index ${postgres ? 'concurrently ' : ''}if not exists ${index.name} on plugin_documents (${columns}) where ${collectionSql(index.plugin, index.collection)}`
}

/**
 * Creates the indexes a version declares, when it is approved (and when first-party and local plugins are
 * registered). Idempotent: an index that exists is left as it is. A failure is logged, not thrown: the version
 * stays approved, and queries are only slower until the next approval creates it.
 */
export async function createDeclaredIndexes (db: Database, manifest: Manifest, logger: Logger): Promise<number> {
  let created = 0
  for (const index of declaredIndexes(manifest)) {
    try {
      await db.knex.raw(indexStatement(db.dialect === 'postgres', index))
      created++
    } catch (error) {
      logger.error({ err: error, plugin: manifest.name, collection: index.collection, fields: index.fields }, 'a declared index could not be created')
    }
  }
  return created
}

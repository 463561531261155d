import { createHash } from 'node:crypto'
import type { Database } from '../core/db/database.ts'
import type { Logger } from '../core/logger.ts'
import { collectionSql, createDocumentSql } from '../sandbox/document-sql.ts'
import type { Manifest } from './manifest.ts'

/** What a manifest may declare per collection (SPEC §6 `collections`). */
export const MAX_INDEXES = 8
export const MAX_INDEX_FIELDS = 3

export interface DeclaredIndex {
  name: string
  /** The name the same declaration had before indexes ended with the row id: dropped once this one exists. */
  formerName: string
  plugin: string
  collection: string
  fields: string[]
}

const indexName = (...parts: string[]): string => `pdx_${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 24)}`

/** The indexes a manifest declares, each named by what it covers (the same declaration, the same index). */
export function declaredIndexes (manifest: Manifest): DeclaredIndex[] {
  return Object.entries(manifest.collections ?? {}).flatMap(([collection, declared]) => (declared.indexes ?? []).map((fields) => ({
    // (`id` names the second form: the first, on PostgreSQL, did not end with the row id.)
    name: indexName(manifest.name, collection, fields.join(','), 'id'),
    formerName: indexName(manifest.name, collection, fields.join(',')),
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
 * registered), and drops the same declaration's index of the first form once the new one exists (two indexes on one
 * declaration made every write pay twice). Idempotent: an index that exists is left as it is. A failure is logged,
 * not thrown: the version stays approved, and queries are only slower until the next approval creates it.
 */
export async function createDeclaredIndexes (db: Database, manifest: Manifest, logger: Logger): Promise<number> {
  let created = 0
  const postgres = db.dialect === 'postgres'
  for (const index of declaredIndexes(manifest)) {
    try {
      await db.knex.raw(indexStatement(postgres, index))
      await db.knex.raw(`drop index ${postgres ? 'concurrently ' : ''}if exists ${index.formerName}`)
      created++
    } catch (error) {
      logger.error({ err: error, plugin: manifest.name, collection: index.collection, fields: index.fields }, 'a declared index could not be created')
    }
  }
  return created
}

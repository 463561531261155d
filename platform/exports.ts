import { randomUUID } from 'node:crypto'
import { PassThrough } from 'node:stream'
import ExcelJS from 'exceljs'
import type { Knex } from 'knex'
import type { Database } from '../core/db/database.ts'
import { storeFile, fileInfo, type FileOwner } from '../core/files/file-store.ts'
import type { Logger } from '../core/logger.ts'
import { collectionSql, createDocumentSql } from '../sandbox/document-sql.ts'
import type { PluginSpec } from '../sandbox/protocol.ts'
import { CallError } from './call-error.ts'

/** Rows an export writes at most, and the rows read per query (one page: a few ms, then the node serves others). */
export const EXPORT_MAX_ROWS = 500_000
const PAGE = 2000
/** Exports one plugin may run at once at one unit. */
const RUNNING_PER_INSTALLATION = 2
/** A running export not written for this long ran on a node that stopped: it reads as failed. */
const STALE_MS = 120_000
const COLLECTION = /^[a-z][a-z0-9_-]{0,63}$/
const MAX_COLUMNS = 100

interface Column { field: string, title: string }
export interface ExportJob {
  collection: string
  scope: 'tenant' | 'lineage' | 'subtree'
  filter: Record<string, unknown>
  columns: Column[]
  format: 'csv' | 'xlsx'
  name: string
}

const TYPES = { csv: 'text/csv', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }

/** An export as the plugin describes it, checked: a bad one is an InvalidArgument naming what is wrong. */
export function exportJob (spec: PluginSpec, value: Record<string, unknown>, postgres: boolean): ExportJob {
  const bad = (message: string): CallError => new CallError('InvalidArgument', message)
  const { collection, scope = 'tenant', filter = {}, columns, format, name = collection } = value
  if (typeof collection !== 'string' || !COLLECTION.test(collection)) throw bad('collection is a collection name')
  if (scope !== 'tenant' && scope !== 'lineage' && scope !== 'subtree') throw bad("scope is 'tenant', 'lineage' or 'subtree'")
  if (scope !== 'tenant') {
    const storage = spec.permissions.storage
    if (typeof storage !== 'object' || !(storage.read ?? []).includes(scope)) throw new CallError('PermissionDenied', `the manifest does not ask for storage.read: ['${scope}']`)
  }
  if (format !== 'csv' && format !== 'xlsx') throw bad("format is 'csv' or 'xlsx'")
  if (!Array.isArray(columns) || columns.length === 0 || columns.length > MAX_COLUMNS) throw bad(`columns is an array of 1 to ${MAX_COLUMNS} fields`)
  const sql = createDocumentSql(postgres)
  const checked = columns.map((column: unknown) => {
    const given = typeof column === 'string' ? { field: column, title: column } : column as Record<string, unknown> | null
    const field = given?.field
    const title = given?.title ?? field
    if (field !== '_id' && field !== '_tenant') sql.field(field, `column field '${String(field).slice(0, 64)}'`)
    if (typeof title !== 'string' || title.length === 0 || title.length > 200) throw bad('a column title is a string of 1 to 200 characters')
    return { field: String(field), title: title.normalize('NFC') }
  })
  try {
    sql.filterSql(filter, { conditions: 0 }, true)
  } catch (error) {
    throw bad((error as Error).message)
  }
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) throw bad('name is a string of 1 to 200 characters')
  return { collection, scope, filter: filter as Record<string, unknown>, columns: checked, format, name }
}

/** A cell as text for CSV: formulas neutralised (a cell that starts `=`, `+`, `-`, `@` is not run by a spreadsheet). */
export function csvCell (value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value)
  if (/^[=+\-@\t\r]/.test(text) && typeof value !== 'number') text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

function cellOf (doc: Record<string, unknown>, field: string): unknown {
  let value: unknown = doc
  for (const key of field.split('.')) value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined
  return value
}

/** Writes rows as CSV (UTF-8 with a BOM, so spreadsheets read Vietnamese right) or XLSX (exceljs, streaming). */
function createWriter (format: ExportJob['format'], columns: Column[]) {
  const chunks: Buffer[] = []
  if (format === 'csv') {
    chunks.push(Buffer.from('\ufeff' + columns.map((c) => csvCell(c.title)).join(',') + '\r\n'))
    return {
      add: (cells: unknown[]) => { chunks.push(Buffer.from(cells.map(csvCell).join(',') + '\r\n')) },
      finish: async () => Buffer.concat(chunks),
    }
  }
  const stream = new PassThrough()
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: false, useSharedStrings: false })
  const sheet = workbook.addWorksheet('Data')
  sheet.addRow(columns.map((c) => c.title)).commit()
  return {
    add: (cells: unknown[]) => {
      sheet.addRow(cells.map((value) => value === null || value === undefined ? null : typeof value === 'object' ? JSON.stringify(value) : value as ExcelJS.CellValue)).commit()
    },
    finish: async () => {
      sheet.commit()
      await workbook.commit()
      return Buffer.concat(chunks)
    },
  }
}

export interface ExportDeps { db: Database, logger: Logger }

/**
 * Exports run on the gateway, never in an isolate: a page of documents at a time (keyset by row id, so each query
 * is short and the node serves other requests between pages), into a streaming writer, then one kept file of the
 * plugin's. Progress is written with each page.
 */
export function createExports ({ db, logger }: ExportDeps) {
  const postgres = db.dialect === 'postgres'
  const sql = createDocumentSql(postgres)

  function documents (spec: PluginSpec, job: ExportJob, after: number): Knex.QueryBuilder {
    const query = db.knex('plugin_documents').whereRaw(collectionSql(spec.name, job.collection)).andWhere('id', '>', after)
    if (job.scope === 'tenant') query.andWhere('tenant_id', spec.tenantId)
    else if (job.scope === 'lineage') {
      const codes = spec.tenantPath.split('/')
      query.whereIn('tenant_path', codes.map((_, i) => codes.slice(0, i + 1).join('/')))
    } else query.where((inner) => { inner.where('tenant_path', spec.tenantPath).orWhere('tenant_path', 'like', `${spec.tenantPath}/%`) })
    sql.applyFilter(query, job.filter)
    return query.orderBy('id').limit(PAGE).select('id', 'doc_id', 'data', 'tenant_path')
  }

  async function run (spec: PluginSpec, job: ExportJob, id: string): Promise<void> {
    const writer = createWriter(job.format, job.columns)
    let after = 0
    let count = 0
    for (;;) {
      const page = await documents(spec, job, after)
      for (const row of page) {
        const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<string, unknown>
        const doc = { ...data, _id: row.doc_id, _tenant: String(row.tenant_path).split('/').at(-1) }
        writer.add(job.columns.map((column) => cellOf(doc, column.field)))
      }
      count += page.length
      if (count > EXPORT_MAX_ROWS) throw new Error(`an export writes at most ${EXPORT_MAX_ROWS} rows; narrow the filter`)
      if (page.length < PAGE) break
      after = Number(page.at(-1)!.id)
      await db.knex('plugin_exports').where({ export_id: id }).update({ rows: count, updated_at: new Date().toISOString() })
      await new Promise((resolve) => setImmediate(resolve))
    }
    const bytes = await writer.finish()
    const owner: FileOwner = { tenantId: spec.tenantId, plugin: spec.name }
    const file = await storeFile(db, owner, { name: `${job.name}.${job.format}`, type: TYPES[job.format], bytes, kept: true })
    await db.knex('plugin_exports').where({ export_id: id }).update({ state: 'done', rows: count, file_id: file.id, updated_at: new Date().toISOString() })
  }

  return {
    /** Starts an export and answers its id at once; `status` tells how far it is. */
    async start (spec: PluginSpec, value: Record<string, unknown>, requestId: string): Promise<{ id: string }> {
      const job = exportJob(spec, value, postgres)
      const stale = new Date(Date.now() - STALE_MS).toISOString()
      const [running] = await db.knex('plugin_exports').where({ tenant_id: spec.tenantId, plugin: spec.name, state: 'running' }).andWhere('updated_at', '>', stale).count({ n: '*' })
      if (Number(running?.n ?? 0) >= RUNNING_PER_INSTALLATION) throw new CallError('QuotaExceeded', `at most ${RUNNING_PER_INSTALLATION} exports run at once; wait for one to finish`)
      const id = randomUUID()
      const now = new Date().toISOString()
      await db.knex('plugin_exports').insert({ export_id: id, tenant_id: spec.tenantId, plugin: spec.name, state: 'running', rows: 0, created_at: now, updated_at: now, request_id: requestId })
      run(spec, job, id).catch(async (error: unknown) => {
        logger.warn({ err: error, plugin: spec.name, tenant: spec.tenant, exportId: id }, 'export failed')
        const message = String((error as Error)?.message ?? error).slice(0, 500)
        await db.knex('plugin_exports').where({ export_id: id }).update({ state: 'failed', error: message, updated_at: new Date().toISOString() }).catch(() => {})
      })
      return { id }
    },

    /** `{id, state, rows, file, error}`; null for an export that is not this plugin's at this unit. */
    async status (spec: PluginSpec, id: string): Promise<unknown> {
      const row = await db.knex('plugin_exports').where({ export_id: id, tenant_id: spec.tenantId, plugin: spec.name }).first()
      if (row === undefined) return null
      const stale = row.state === 'running' && Date.parse(String(row.updated_at)) < Date.now() - STALE_MS
      const file = row.file_id === null ? null : await fileInfo(db, { tenantId: spec.tenantId, plugin: spec.name }, String(row.file_id)) ?? null
      return {
        id,
        state: stale ? 'failed' : row.state,
        rows: Number(row.rows),
        file,
        error: stale ? 'the node running it stopped' : row.error ?? null,
        createdAt: row.created_at,
      }
    },
  }
}

export type Exports = ReturnType<typeof createExports>

import type { Knex } from 'knex'

/**
 * PostgreSQL: the index for reads across the unit tree leads with the unit's path. Led by (plugin, collection), it
 * matched a document's lookup by id as well as the unique (tenant, plugin, collection, id) index did, and the planner,
 * whose statistics had not yet seen a new collection, chose it: every `get` then read the whole collection (0.9 ms at
 * 3,000 documents and growing, the storage route's figure falling as the bench wrote). Led by the path, it serves
 * `lineage` (a list of paths) and `subtree` (a path and its prefix range) and no lookup without a path.
 */
export async function up (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return
  await knex.raw('drop index if exists plugin_documents_scope')
  await knex.raw('create index plugin_documents_scope on plugin_documents (tenant_path varchar_pattern_ops, plugin, collection)')
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return
  await knex.raw('drop index if exists plugin_documents_scope')
  await knex.raw('create index plugin_documents_scope on plugin_documents (plugin, collection, tenant_path varchar_pattern_ops)')
}

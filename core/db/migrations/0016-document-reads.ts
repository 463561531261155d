import type { Knex } from 'knex'

/**
 * PostgreSQL: sandbox workers read plugin documents through a view, and write them under row-level security. Under a
 * row-level policy the planner may not use an operator that is not leakproof (`jsonb = jsonb`, `jsonb #> path`) in an
 * index condition, nor the column statistics behind it: every filter on a document field read the unit's whole
 * collection, and no declared index served a worker (an officer's inbox over 100,000 dossiers: 300 ms, a sequential
 * scan). The view is the table owner's, so its reads are planned like the gateway's; which rows a call may read is
 * what storage asks for (the unit, or its lineage or subtree, sandbox/worker/host/storage.ts `base`). The policies kept
 * their value for writes (a worker sets the transaction's unit itself, so they never held against a worker taken over,
 * only against a query built wrong): inserts, updates and deletes stay under the per-unit policy of 0002.
 */
export async function up (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return
  await knex.raw(`create view plugin_documents_read as
    select id, tenant_id, tenant_path, plugin, collection, doc_id, data, created_at, updated_at from plugin_documents`)
  await knex.raw('grant select on plugin_documents_read to nentang_sandbox')
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return
  await knex.raw('drop view if exists plugin_documents_read')
}

import type { Knex } from 'knex'

/**
 * Documents read across the unit tree: each document carries its tenant's path, so a plugin may read (never
 * write) the documents of the same plugin at the tenant's ancestors (`lineage`) or descendants (`subtree`). On
 * PostgreSQL a second policy admits those rows to SELECT only when the transaction names that scope; writes keep
 * the strict per-tenant policy of 0002.
 */
export async function up (knex: Knex): Promise<void> {
  const postgres = knex.client.config.client === 'pg'
  await knex.schema.alterTable('plugin_documents', (table) => {
    table.string('tenant_path', 1024).nullable()
  })
  await knex.raw('update plugin_documents set tenant_path = (select path from tenants where tenants.id = plugin_documents.tenant_id)')
  if (postgres) {
    await knex.raw('create index plugin_documents_scope on plugin_documents (plugin, collection, tenant_path varchar_pattern_ops)')
    await knex.raw(`create policy plugin_documents_read_scope on plugin_documents for select to nentang_sandbox using (
      case current_setting('nentang.read_scope', true)
        when 'lineage' then current_setting('nentang.tenant_path', true) = tenant_path or current_setting('nentang.tenant_path', true) like tenant_path || '/%'
        when 'subtree' then tenant_path = current_setting('nentang.tenant_path', true) or tenant_path like current_setting('nentang.tenant_path', true) || '/%'
        else false
      end)`)
  } else {
    await knex.raw('create index plugin_documents_scope on plugin_documents (plugin, collection, tenant_path)')
  }
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client === 'pg') await knex.raw('drop policy if exists plugin_documents_read_scope on plugin_documents')
  await knex.raw('drop index if exists plugin_documents_scope')
  await knex.schema.alterTable('plugin_documents', (table) => {
    table.dropColumn('tenant_path')
  })
}

import type { Knex } from 'knex'

/**
 * Plugin storage (JSON documents per tenant, plugin and collection) and the plugin event outbox.
 * On PostgreSQL the documents also carry row-level security on the tenant: the sandbox's storage
 * queries run as role `nentang_sandbox` with `nentang.tenant_id` set per transaction, a second wall
 * behind the host functions' own scoping.
 */
export async function up (knex: Knex): Promise<void> {
  const postgres = knex.client.config.client === 'pg'
  await knex.schema.createTable('plugin_documents', (table) => {
    table.increments('id')
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('plugin', 128).notNullable()
    table.string('collection', 64).notNullable()
    table.string('doc_id', 36).notNullable()
    if (postgres) table.jsonb('data').notNullable()
    else table.text('data').notNullable()
    table.string('created_at', 32).notNullable()
    table.string('updated_at', 32).notNullable()
    table.unique(['tenant_id', 'plugin', 'collection', 'doc_id'])
  })
  await knex.schema.createTable('plugin_events', (table) => {
    table.increments('id')
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('plugin', 128).notNullable()
    table.string('version', 64).notNullable()
    table.string('type', 128).notNullable()
    table.text('payload').notNullable()
    table.string('request_id', 64).nullable()
    table.string('created_at', 32).notNullable()
    table.index(['tenant_id', 'type'])
  })
  if (postgres) {
    // The role is the cluster's, not the database's: two databases migrating at once (tests, a second
    // platform on the same server) race to create it and to join it, and the loser is not an error.
    await knex.raw(`do $$ begin
      create role nentang_sandbox nologin;
    exception when duplicate_object or unique_violation or internal_error then null;
    end $$`)
    await knex.raw(`do $$ begin
      grant nentang_sandbox to current_user;
    exception when unique_violation or internal_error then null;
    end $$`)
    await knex.raw('grant select, insert, update, delete on plugin_documents to nentang_sandbox')
    await knex.raw('grant usage, select on sequence plugin_documents_id_seq to nentang_sandbox')
    await knex.raw('alter table plugin_documents enable row level security')
    await knex.raw(`create policy plugin_documents_tenant on plugin_documents to nentang_sandbox
      using (tenant_id = nullif(current_setting('nentang.tenant_id', true), '')::integer)
      with check (tenant_id = nullif(current_setting('nentang.tenant_id', true), '')::integer)`)
  }
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('plugin_events')
  await knex.schema.dropTableIfExists('plugin_documents')
}

import type { Knex } from 'knex'

/**
 * Tenants, users, grants, the audit chain and platform metadata. Timestamps are ISO 8601 text in
 * UTC on both databases, so values read back byte-identical (the audit chain hashes them).
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('platform_meta', (table) => {
    table.string('key', 64).primary()
    table.text('value').notNullable()
  })

  await knex.schema.createTable('tenants', (table) => {
    table.increments('id')
    table.string('code', 63).notNullable().unique()
    table.string('name', 200).notNullable()
    table.integer('parent_id').nullable().references('id').inTable('tenants')
    // Codes of the tenant and its ancestors from the root, joined by '/': `vn/hn/hn-ba-dinh`.
    table.string('path', 2048).notNullable().unique()
    table.string('admin_unit_code', 5).nullable().unique()
    table.string('created_at', 32).notNullable()
    table.index(['parent_id'])
  })

  await knex.schema.createTable('users', (table) => {
    table.increments('id')
    table.string('username', 64).notNullable().unique()
    table.text('password_hash').notNullable()
    table.string('display_name', 200).notNullable()
    table.integer('home_tenant_id').notNullable().references('id').inTable('tenants')
    table.boolean('disabled').notNullable().defaultTo(false)
    // Incremented when the user is disabled or its password changes: tokens carry the version they were issued at.
    table.integer('token_version').notNullable().defaultTo(0)
    table.string('created_at', 32).notNullable()
    table.string('updated_at', 32).notNullable()
    table.index(['home_tenant_id'])
  })

  await knex.schema.createTable('grants', (table) => {
    table.increments('id')
    table.integer('user_id').notNullable().references('id').inTable('users')
    table.string('role', 64).notNullable()
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.boolean('include_descendants').notNullable().defaultTo(false)
    table.string('created_at', 32).notNullable()
    table.unique(['user_id', 'role', 'tenant_id'])
    table.index(['tenant_id'])
  })

  await knex.schema.createTable('audit_log', (table) => {
    table.increments('seq')
    table.string('at', 32).notNullable()
    table.string('actor', 64).nullable()
    table.string('action', 64).notNullable()
    table.string('tenant', 63).nullable()
    table.string('target', 256).nullable()
    table.text('details').notNullable()
    table.string('request_id', 64).nullable()
    table.string('prev_hash', 64).notNullable()
    table.string('hash', 64).notNullable()
    table.index(['action'])
    table.index(['tenant'])
  })

  // Append-only as a second wall behind the code, which never updates or deletes audit rows.
  if (knex.client.config.client === 'pg') {
    await knex.raw(`
      create function audit_log_append_only() returns trigger language plpgsql as $$
      begin raise exception 'audit_log is append-only'; end $$`)
    await knex.raw(`create trigger audit_log_append_only before update or delete on audit_log
      for each row execute function audit_log_append_only()`)
  } else {
    await knex.raw(`create trigger audit_log_no_update before update on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`)
    await knex.raw(`create trigger audit_log_no_delete before delete on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`)
  }
}

export async function down (knex: Knex): Promise<void> {
  for (const table of ['audit_log', 'grants', 'users', 'tenants', 'platform_meta']) await knex.schema.dropTableIfExists(table)
  if (knex.client.config.client === 'pg') await knex.raw('drop function if exists audit_log_append_only')
}

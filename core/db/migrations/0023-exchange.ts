import type { Knex } from 'knex'

/**
 * Data exchange with other systems (docs/exchange.md).
 * - `exchange_endpoints`: the named outbound endpoints an installation's plugin may call, set by a tenant-admin per
 *   mount: where, how it authenticates (its secret parts sealed), time limit, retries, rate, breaker.
 * - `exchange_log`: every call made, per tenant a hash chain (`seq`, `prev_hash`, `hash`), with the SHA-512 of the
 *   request and of the response; bodies only where the endpoint says so.
 * - `machine_clients`: other agencies' systems, each a `users` row of kind `client` (its grants are its roles) with a
 *   secret (hashed) or a certificate whose key signs its token requests.
 * - `published_services`: plugin routes a tenant-admin offers to other systems, listed in the connection catalogue.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('exchange_endpoints', (table) => {
    table.increments('id')
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('mount', 63).notNullable()
    table.string('name', 64).notNullable()
    table.text('base_url').notNullable()
    table.string('auth_kind', 16).notNullable()
    /** The auth's settings that are no secret (header names, token URL, client id), JSON. */
    table.text('auth_options').notNullable()
    /** The auth's secret parts, JSON, sealed with the platform's secret box. */
    table.text('sealed').nullable()
    /** A private certificate authority (PEM) the endpoint's TLS certificate chains to. */
    table.text('ca').nullable()
    table.integer('timeout_ms').notNullable()
    table.integer('retries').notNullable()
    table.integer('rate_per_minute').nullable()
    table.integer('breaker_failures').notNullable()
    table.integer('breaker_open_ms').notNullable()
    /** Set by a platform-admin only: the endpoint may sit on a private address (an LGSP on the government network). */
    table.boolean('allow_private').notNullable().defaultTo(false)
    table.boolean('log_bodies').notNullable().defaultTo(false)
    table.string('updated_at', 32).notNullable()
    table.string('updated_by', 64).notNullable()
    table.unique(['tenant_id', 'mount', 'name'])
  })
  await knex.schema.createTable('exchange_log', (table) => {
    table.increments('id')
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.integer('seq').notNullable()
    table.string('at', 32).notNullable()
    table.string('mount', 63).notNullable()
    table.string('plugin', 214).notNullable()
    table.string('endpoint', 64).notNullable()
    table.string('method', 8).notNullable()
    table.string('target', 2048).notNullable()
    table.integer('status').nullable()
    /** `ok`, or the EXCH_ERR_ code the call failed with. */
    table.string('outcome', 40).notNullable()
    table.integer('duration_ms').notNullable()
    table.integer('attempts').notNullable()
    table.string('correlation_id', 128).notNullable()
    table.string('request_id', 128).nullable()
    table.string('request_hash', 128).notNullable()
    table.string('response_hash', 128).nullable()
    table.text('request_body').nullable()
    table.text('response_body').nullable()
    table.string('prev_hash', 64).notNullable()
    table.string('hash', 64).notNullable()
    table.unique(['tenant_id', 'seq'])
    table.index(['tenant_id', 'at'])
    table.index(['correlation_id'])
  })
  // Append-only as a second wall behind the code, as the audit log is.
  if (knex.client.config.client === 'pg') {
    await knex.raw(`create function exchange_log_append_only() returns trigger language plpgsql as $$
      begin raise exception 'exchange_log is append-only'; end $$`)
    await knex.raw(`create trigger exchange_log_append_only before update or delete on exchange_log
      for each row execute function exchange_log_append_only()`)
    await knex.raw(`create trigger exchange_log_no_truncate before truncate on exchange_log
      for each statement execute function exchange_log_append_only()`)
  } else {
    await knex.raw(`create trigger exchange_log_no_update before update on exchange_log
      begin select raise(abort, 'exchange_log is append-only'); end`)
    await knex.raw(`create trigger exchange_log_no_delete before delete on exchange_log
      begin select raise(abort, 'exchange_log is append-only'); end`)
  }
  await knex.schema.alterTable('users', (table) => {
    table.string('kind', 16).notNullable().defaultTo('person')
  })
  await knex.schema.createTable('machine_clients', (table) => {
    table.increments('id')
    table.integer('user_id').notNullable().unique().references('id').inTable('users')
    table.string('name', 200).notNullable()
    table.text('secret_hash').nullable()
    table.text('certificate').nullable()
    table.string('certificate_sha256', 64).nullable()
    table.string('created_at', 32).notNullable()
    table.string('created_by', 64).notNullable()
    table.string('last_token_at', 32).nullable()
  })
  await knex.schema.createTable('published_services', (table) => {
    table.increments('id')
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('code', 63).notNullable()
    table.string('mount', 63).notNullable()
    table.string('method', 8).notNullable()
    table.string('path', 512).notNullable()
    table.string('title', 200).notNullable()
    table.text('description').notNullable()
    table.string('published_at', 32).notNullable()
    table.string('published_by', 64).notNullable()
    table.unique(['tenant_id', 'code'])
  })
}

export async function down (knex: Knex): Promise<void> {
  for (const table of ['published_services', 'machine_clients', 'exchange_log', 'exchange_endpoints']) await knex.schema.dropTableIfExists(table)
  if (knex.client.config.client === 'pg') await knex.raw('drop function if exists exchange_log_append_only')
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('kind')
  })
}

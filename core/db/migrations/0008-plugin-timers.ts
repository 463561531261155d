import type { Knex } from 'knex'

/**
 * Plugin timers: a handler of an installation to run at a time, with a JSON payload (`timers.at`). Workers write them
 * (sandbox/worker/host/timers.ts; at first the gateway did) and the gateway runs them: a node claims due timers for a
 * lease, on PostgreSQL with SKIP LOCKED so that several nodes never take the same one.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('plugin_timers', (table) => {
    table.increments('id')
    table.string('timer_id', 36).notNullable().unique()
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('mount', 64).notNullable()
    table.string('plugin', 128).notNullable()
    table.string('handler', 64).notNullable()
    table.text('payload').notNullable()
    /** ISO 8601 UTC, compared as text. */
    table.string('due_at', 32).notNullable()
    table.integer('attempts').notNullable().defaultTo(0)
    table.string('claimed_until', 32).nullable()
    table.string('created_at', 32).notNullable()
    table.string('request_id', 64).nullable()
    table.index(['due_at'])
    table.index(['tenant_id', 'mount', 'plugin'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('plugin_timers')
}

import type { Knex } from 'knex'

/**
 * Several nodes sharing the scheduled work. `scheduled_jobs`: what the whole cluster does once per period (sweeps,
 * archiving), each job's next due time moved forward by the node that takes it (one conditional update, so two nodes
 * never take one period), with who took it last.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('scheduled_jobs', (table) => {
    table.string('name', 64).primary()
    table.string('due_at', 32).notNullable()
    /** The node that took the job last (its id, printed in its log at start) and when. */
    table.string('node', 64).nullable()
    table.string('started_at', 32).nullable()
    table.string('finished_at', 32).nullable()
    table.integer('runs').notNullable().defaultTo(0)
  })
  // Which node holds a claimed timer (an operator's question when one seems stuck; the lease decides, not this).
  await knex.schema.alterTable('plugin_timers', (table) => {
    table.string('claimed_by', 64).nullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('plugin_timers', (table) => {
    table.dropColumn('claimed_by')
  })
  await knex.schema.dropTableIfExists('scheduled_jobs')
}

import type { Knex } from 'knex'

/**
 * Event delivery: the gateway marks each published event when it has fanned it out to the subscribers of its
 * unit, one delivery per subscriber as a timer due at once (`plugin_timers`), in a queue per subscriber so that
 * its events run one after another, in the order they were published.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('plugin_events', (table) => {
    table.string('fanned_out_at', 32).nullable()
    table.index(['fanned_out_at', 'id'])
  })
  // Events published before delivery existed are history: not delivered now.
  await knex('plugin_events').update({ fanned_out_at: new Date().toISOString() })
  await knex.schema.alterTable('plugin_timers', (table) => {
    table.string('queue', 200).nullable()
    table.integer('event_id').nullable()
    table.index(['queue', 'id'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.alterTable('plugin_timers', (table) => {
    table.dropIndex(['queue', 'id'])
    table.dropColumn('queue')
    table.dropColumn('event_id')
  })
  await knex.schema.alterTable('plugin_events', (table) => {
    table.dropIndex(['fanned_out_at', 'id'])
    table.dropColumn('fanned_out_at')
  })
}

import type { Knex } from 'knex'

/**
 * Settings a unit sets for itself at a mount it inherits (a commune's own office hours or fee, over its province's
 * installation): merged over the installation's settings when that installation serves the unit.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('installation_settings', (table) => {
    table.increments('id')
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('mount', 64).notNullable()
    table.text('settings').notNullable()
    table.string('updated_at', 32).notNullable()
    table.string('updated_by', 64).notNullable()
    table.unique(['tenant_id', 'mount'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('installation_settings')
}

import type { Knex } from 'knex'

/** Which approved plugin version each tenant runs at each mount, with its settings. */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('installations', (table) => {
    table.increments('id')
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('mount', 63).notNullable()
    table.string('name', 128).notNullable()
    table.string('version', 64).notNullable()
    table.text('settings').notNullable()
    table.boolean('inherit').notNullable().defaultTo(false)
    table.string('updated_at', 32).notNullable()
    table.string('updated_by', 64).notNullable()
    table.unique(['tenant_id', 'mount'])
    table.index(['mount'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('installations')
}

import type { Knex } from 'knex'

/** Secrets of a tenant's plugin at a mount, sealed (AES-256-GCM); they outlive switches and reinstalls. */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('installation_secrets', (table) => {
    table.increments('id')
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('mount', 63).notNullable()
    table.string('name', 64).notNullable()
    table.text('sealed').notNullable()
    table.string('updated_at', 32).notNullable()
    table.string('updated_by', 64).notNullable()
    table.unique(['tenant_id', 'mount', 'name'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('installation_secrets')
}

import type { Knex } from 'knex'

/**
 * The platform secret every key is derived from (tokens, sealed secrets, the audit chain, registry signatures), kept
 * here wrapped by NENTANG_SECRET_KEY (AES-256-GCM): rotating NENTANG_SECRET_KEY wraps it again, and nothing derived
 * from it changes. One row.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('platform_secret', (table) => {
    table.integer('id').primary()
    table.text('wrapped').notNullable()
    table.string('created_at', 32).notNullable()
    table.string('rotated_at', 32).nullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('platform_secret')
}

import type { Knex } from 'knex'

/**
 * The plugin registry: package bytes stored once by SHA-256 (in the database, so every gateway
 * node reads the same bytes without a shared disk), and one row per immutable `name@version`
 * with its review.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('registry_blobs', (table) => {
    table.string('sha256', 64).primary()
    table.binary('bytes').notNullable()
    table.integer('size').notNullable()
    table.string('created_at', 32).notNullable()
  })
  await knex.schema.createTable('registry_versions', (table) => {
    table.increments('id')
    table.string('name', 128).notNullable()
    table.string('scope', 63).notNullable()
    table.string('version', 64).notNullable()
    table.string('sha256', 64).notNullable().references('sha256').inTable('registry_blobs')
    table.string('status', 16).notNullable()
    table.text('manifest').notNullable()
    table.text('checks').notNullable()
    table.string('publisher', 64).notNullable()
    table.string('published_at', 32).notNullable()
    table.string('reviewer', 64).nullable()
    table.string('reviewed_at', 32).nullable()
    table.text('review_comment').nullable()
    table.text('revoke_reason').nullable()
    table.text('signature').nullable()
    table.unique(['name', 'version'])
    table.index(['status'])
    table.index(['scope'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('registry_versions')
  await knex.schema.dropTableIfExists('registry_blobs')
}

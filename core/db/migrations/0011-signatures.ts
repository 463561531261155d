import type { Knex } from 'knex'

/**
 * Digital signatures: the certificates a unit trusts to issue its people's signing certificates (inherited down the
 * tree), and the signing certificates each user has registered as theirs.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('trust_anchors', (table) => {
    table.increments('id')
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('name', 200).notNullable()
    table.text('certificate').notNullable()
    table.string('fingerprint', 64).notNullable()
    table.string('subject', 1000).notNullable()
    table.string('not_after', 32).notNullable()
    table.string('added_by', 64).notNullable()
    table.string('added_at', 32).notNullable()
    table.unique(['tenant_id', 'fingerprint'])
  })
  await knex.schema.createTable('user_certificates', (table) => {
    table.increments('id')
    table.integer('user_id').notNullable().references('id').inTable('users')
    table.text('certificate').notNullable()
    table.string('fingerprint', 64).notNullable()
    table.string('subject', 1000).notNullable()
    table.string('not_after', 32).notNullable()
    table.string('added_at', 32).notNullable()
    table.unique(['user_id', 'fingerprint'])
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('user_certificates')
  await knex.schema.dropTableIfExists('trust_anchors')
}

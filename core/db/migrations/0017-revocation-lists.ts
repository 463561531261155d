import type { Knex } from 'knex'

/**
 * Revocation: the newest certificate revocation list (CRL) a unit's administrator gave for each authority it trusts,
 * checked by its signature against that authority when given. `signature.verify` refuses a certificate the list names,
 * and any signature by the authority once its list is past its next update, until a newer one is given.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('revocation_lists', (table) => {
    table.increments('id')
    table.integer('anchor_id').notNullable().unique().references('id').inTable('trust_anchors').onDelete('CASCADE')
    table.text('crl').notNullable()
    table.string('this_update', 32).notNullable()
    table.string('next_update', 32).nullable()
    table.integer('revoked').notNullable()
    table.string('added_by', 64).notNullable()
    table.string('added_at', 32).notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('revocation_lists')
}

import type { Knex } from 'knex'

/**
 * Refresh tokens: what renews a signed-in session without the password. Kept as SHA-256 hashes only; each is used once
 * and replaced by the next of its family (one family per sign-in); a used one shown again ends the whole family.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('refresh_tokens', (table) => {
    table.increments('id')
    table.string('token_hash', 64).notNullable().unique()
    table.string('family', 36).notNullable().index()
    table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    /** The user's token version when issued: a password change or a disabled user ends the session. */
    table.integer('token_version').notNullable()
    table.string('created_at', 32).notNullable()
    table.string('expires_at', 32).notNullable()
    table.string('used_at', 32).nullable()
    table.string('revoked_at', 32).nullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('refresh_tokens')
}

import type { Knex } from 'knex'

/**
 * PostgreSQL runs no row trigger for TRUNCATE, so the append-only wall of 0001 did not stop it: a
 * statement trigger now refuses it too. (SQLite has no TRUNCATE; its DELETE trigger covers it.)
 */
export async function up (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return
  await knex.raw(`create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only()`)
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return
  await knex.raw('drop trigger if exists audit_log_no_truncate on audit_log')
}

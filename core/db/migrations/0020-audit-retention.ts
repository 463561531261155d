import type { Knex } from 'knex'

/**
 * Audit retention: entries older than NENTANG_AUDIT_RETENTION_DAYS move to archive files, and a cut records where the
 * chain left in the database starts (the last archived entry's hash, signed with the chain's key). The append-only
 * triggers now let through the deletion of archived entries, and nothing else.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_archives', (table) => {
    table.increments('id')
    table.bigInteger('from_seq').notNullable()
    table.bigInteger('to_seq').notNullable()
    /** The hash of entry `to_seq`: the chain left in the database goes on from it. */
    table.string('last_hash', 64).notNullable()
    table.string('file', 200).notNullable()
    table.string('file_sha256', 64).notNullable()
    table.string('at', 32).notNullable()
    /** HMAC with the chain's key over the fields above: a forged cut is refused by `audit verify`. */
    table.string('mac', 64).notNullable()
  })
  if (knex.client.config.client === 'pg') {
    await knex.raw(`
      create or replace function audit_log_append_only() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and old.seq <= coalesce((select max(to_seq) from audit_archives), 0) then return old; end if;
        raise exception 'audit_log is append-only';
      end $$`)
  } else {
    await knex.raw('drop trigger audit_log_no_delete')
    await knex.raw(`create trigger audit_log_no_delete before delete on audit_log
      when old.seq > coalesce((select max(to_seq) from audit_archives), 0)
      begin select raise(abort, 'audit_log is append-only'); end`)
  }
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client === 'pg') {
    await knex.raw(`
      create or replace function audit_log_append_only() returns trigger language plpgsql as $$
      begin raise exception 'audit_log is append-only'; end $$`)
  } else {
    await knex.raw('drop trigger audit_log_no_delete')
    await knex.raw(`create trigger audit_log_no_delete before delete on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`)
  }
  await knex.schema.dropTableIfExists('audit_archives')
}

import type { Knex } from 'knex'
import { FOLD_FROM, FOLD_TO } from '../fold.ts'

/**
 * `nentang_fold(text)` on PostgreSQL: lower case, Vietnamese letters without their marks, the same as the function
 * registered on every SQLite connection (core/db/fold.ts). Immutable, so expression indexes may use it.
 */
export async function up (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return
  await knex.raw(`create or replace function nentang_fold(text) returns text language sql immutable parallel safe
    as $$ select translate(lower($1), '${FOLD_FROM}', '${FOLD_TO}') $$`)
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return
  await knex.raw('drop function if exists nentang_fold(text)')
}

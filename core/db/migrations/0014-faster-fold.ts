import type { Knex } from 'knex'

/**
 * `nentang_fold` on PostgreSQL, three times faster: decomposed (NFD) and stripped of combining marks by one regular
 * expression, then `đ` → `d`, instead of `translate` over the 134 marked letters (11 µs a call: a `$search` over
 * 100,000 documents took 2.2 s for two words; now 0.5 s). Same results as core/db/fold.ts. Needs a UTF-8 database.
 */
export async function up (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return
  await knex.raw(`create or replace function nentang_fold(text) returns text language sql immutable parallel safe
    as $$ select translate(regexp_replace(normalize(lower($1), NFD), '[\\u0300-\\u036f]', '', 'g'), 'đ', 'd') $$`)
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return
  const { FOLD_FROM, FOLD_TO } = await import('../fold.ts')
  await knex.raw(`create or replace function nentang_fold(text) returns text language sql immutable parallel safe
    as $$ select translate(lower($1), '${FOLD_FROM}', '${FOLD_TO}') $$`)
}

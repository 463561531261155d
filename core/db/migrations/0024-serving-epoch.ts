import type { Knex } from 'knex'

/** The tables whose rows decide which plugin version serves a unit, and how (registry/installation-resolver.ts). */
const SERVING_TABLES = ['tenants', 'installations', 'installation_settings', 'installation_secrets', 'registry_versions']

/**
 * `serving_epoch`: one number the database itself moves on by every change to what serves a unit. Each node's
 * installation cache checks it every 15 s as the safety net behind change notifications, and rebuilds its entries
 * only when it moved: re-reading every cached entry each time (five queries each) was thousands of queries a second
 * per node on a national tree, with nothing changed.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.createTable('serving_epoch', (table) => {
    table.integer('id').primary()
    table.bigInteger('n').notNullable()
  })
  await knex('serving_epoch').insert({ id: 1, n: 0 })
  if (knex.client.config.client === 'pg') {
    // At commit (deferred), not where the change is made: the transaction takes the epoch's row last, holding every
    // other lock it needs already, so two transactions never wait for each other through it.
    await knex.raw(`create function serving_epoch_next() returns trigger language plpgsql as $$
      begin update serving_epoch set n = n + 1 where id = 1; return null; end $$`)
    for (const name of SERVING_TABLES) {
      await knex.raw(`create constraint trigger ${name}_serving_epoch after insert or update or delete on ${name}
        deferrable initially deferred for each row execute function serving_epoch_next()`)
    }
  } else {
    for (const name of SERVING_TABLES) {
      for (const event of ['insert', 'update', 'delete']) {
        await knex.raw(`create trigger ${name}_serving_epoch_${event} after ${event} on ${name}
          begin update serving_epoch set n = n + 1 where id = 1; end`)
      }
    }
  }
}

export async function down (knex: Knex): Promise<void> {
  if (knex.client.config.client === 'pg') {
    for (const name of SERVING_TABLES) await knex.raw(`drop trigger if exists ${name}_serving_epoch on ${name}`)
    await knex.raw('drop function if exists serving_epoch_next()')
  } else {
    for (const name of SERVING_TABLES) {
      for (const event of ['insert', 'update', 'delete']) await knex.raw(`drop trigger if exists ${name}_serving_epoch_${event}`)
    }
  }
  await knex.schema.dropTableIfExists('serving_epoch')
}

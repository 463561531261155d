import type { Knex } from 'knex'

/**
 * Plugin files: the bytes once per tenant and content (`plugin_blobs`, keyed by their SHA-256), and the files that
 * name them (`plugin_files`), each a plugin's at a tenant. An upload waits as `upload` until its plugin keeps it;
 * the sweep deletes uploads nobody kept and bytes no file names. Only the gateway reaches these tables: a worker's
 * database role has no grant on them, so an escaped isolate cannot read another tenant's files.
 */
export async function up (knex: Knex): Promise<void> {
  const postgres = knex.client.config.client === 'pg'
  await knex.schema.createTable('plugin_blobs', (table) => {
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('sha256', 64).notNullable()
    table.bigInteger('size').notNullable()
    if (postgres) table.specificType('bytes', 'bytea').notNullable()
    else table.binary('bytes').notNullable()
    table.primary(['tenant_id', 'sha256'])
  })
  await knex.schema.createTable('plugin_files', (table) => {
    table.increments('id')
    table.string('file_id', 36).notNullable().unique()
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('plugin', 128).notNullable()
    table.string('name', 255).notNullable()
    table.string('type', 128).notNullable()
    table.bigInteger('size').notNullable()
    table.string('sha256', 64).notNullable()
    /** `upload` until the plugin keeps it (`files.keep`), then `kept`. */
    table.string('state', 8).notNullable()
    table.string('created_at', 32).notNullable()
    table.string('request_id', 64).nullable()
    table.index(['tenant_id', 'plugin'])
    table.index(['tenant_id', 'sha256'])
    table.index(['state', 'created_at'])
  })
  /** Exports (`exports.start`): a job per file, its progress, and the file it wrote. */
  await knex.schema.createTable('plugin_exports', (table) => {
    table.increments('id')
    table.string('export_id', 36).notNullable().unique()
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('plugin', 128).notNullable()
    /** `running`, `done` or `failed`. */
    table.string('state', 8).notNullable()
    table.integer('rows').notNullable().defaultTo(0)
    table.string('file_id', 36).nullable()
    table.string('error', 500).nullable()
    table.string('created_at', 32).notNullable()
    /** Written with each page while it runs: a job whose node died stops being written, and reads as failed. */
    table.string('updated_at', 32).notNullable()
    table.string('request_id', 64).nullable()
    table.index(['tenant_id', 'plugin', 'state'])
  })
  /** A unit's seal: the certificate and (encrypted) private key `signature.seal` signs with. */
  await knex.schema.createTable('unit_seals', (table) => {
    table.integer('tenant_id').primary().references('id').inTable('tenants')
    table.text('certificate').notNullable()
    table.text('private_key').notNullable()
    table.string('fingerprint', 64).notNullable()
    table.string('subject', 1000).notNullable()
    table.string('not_after', 32).notNullable()
    table.string('added_by', 64).notNullable()
    table.string('added_at', 32).notNullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('unit_seals')
  await knex.schema.dropTableIfExists('plugin_exports')
  await knex.schema.dropTableIfExists('plugin_files')
  await knex.schema.dropTableIfExists('plugin_blobs')
}

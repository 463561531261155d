import type { Knex } from 'knex'

/**
 * Identity (Level-3 security): sessions a user can list and end one by one, second factors (TOTP and passkeys) with
 * hashed recovery codes, the tickets between a first and a second factor, password history, identity providers
 * (OpenID Connect) with their pending sign-ins, and on users the identity number (sealed, found by a keyed hash), the
 * last activity and the last password change.
 */
export async function up (knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.text('identity_number_sealed').nullable()
    table.string('identity_number_hash', 64).nullable().unique()
    /** Its last three digits, shown to administrators so they can tell whom they linked. */
    table.string('identity_number_hint', 3).nullable()
    table.string('last_active_at', 32).nullable()
    table.string('password_changed_at', 32).nullable()
  })
  await knex('users').update({ last_active_at: knex.ref('updated_at'), password_changed_at: knex.ref('updated_at') })

  await knex.schema.createTable('sessions', (table) => {
    table.string('id', 36).primary()
    table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    /** `password`, or `oidc:<provider>`. */
    table.string('method', 80).notNullable()
    /** When a second factor was last shown in this session; null when none was. */
    table.string('factor_at', 32).nullable()
    table.string('address', 64).nullable()
    table.string('agent', 200).nullable()
    table.string('created_at', 32).notNullable()
    table.string('last_used_at', 32).notNullable()
    table.string('ended_at', 32).nullable()
    /** Begun through an identity provider: its subject and session (`sid`), for its back-channel logout. */
    table.string('external_subject', 255).nullable()
    table.string('external_session', 255).nullable()
    table.index(['user_id', 'ended_at'])
    table.index(['method', 'external_session'])
  })

  await knex.schema.createTable('mfa_factors', (table) => {
    table.increments('id')
    table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    table.string('kind', 16).notNullable()
    table.string('label', 100).notNullable()
    /** TOTP: the shared secret, sealed. */
    table.text('secret_sealed').nullable()
    /** TOTP: the last time step accepted, so a code is good once. */
    table.bigInteger('last_step').nullable()
    /** Passkey: credential id (base64url), public key (base64url COSE), signature counter, transports. */
    table.string('credential_id', 1400).nullable().unique()
    table.text('public_key').nullable()
    table.bigInteger('counter').nullable()
    table.string('transports', 200).nullable()
    /** False until the first code or assertion proves the enrolment. */
    table.boolean('confirmed').notNullable().defaultTo(false)
    table.string('created_at', 32).notNullable()
    table.string('last_used_at', 32).nullable()
    table.index(['user_id'])
  })

  await knex.schema.createTable('recovery_codes', (table) => {
    table.increments('id')
    table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    table.string('code_hash', 64).notNullable()
    table.string('used_at', 32).nullable()
    table.index(['user_id'])
  })

  await knex.schema.createTable('sign_in_tickets', (table) => {
    table.string('ticket_hash', 64).primary()
    table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    table.string('method', 80).notNullable()
    /** A WebAuthn challenge given for this ticket. */
    table.string('challenge', 200).nullable()
    /** What comes next: `factor`, `enrol`, `password`, or `continue` (back from an identity provider). */
    table.string('step', 16).notNullable()
    table.integer('failures').notNullable().defaultTo(0)
    table.string('external_subject', 255).nullable()
    table.string('external_session', 255).nullable()
    table.string('address', 64).nullable()
    table.string('created_at', 32).notNullable()
    table.string('expires_at', 32).notNullable()
    table.string('used_at', 32).nullable()
  })

  /** A unit's own security policy: roles that must use a second factor there and in the units below. */
  await knex.schema.createTable('tenant_security_policies', (table) => {
    table.integer('tenant_id').primary().references('id').inTable('tenants').onDelete('CASCADE')
    table.text('mfa_roles').notNullable()
    table.string('updated_by', 64).notNullable()
    table.string('updated_at', 32).notNullable()
  })

  await knex.schema.createTable('password_history', (table) => {
    table.increments('id')
    table.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    table.text('password_hash').notNullable()
    table.string('created_at', 32).notNullable()
    table.index(['user_id'])
  })

  await knex.schema.createTable('identity_providers', (table) => {
    table.increments('id')
    table.string('code', 64).notNullable().unique()
    table.string('name', 200).notNullable()
    /** The unit that configured it: new users are homed there unless the unit claim names one below it. */
    table.integer('tenant_id').notNullable().references('id').inTable('tenants')
    table.string('issuer', 500).notNullable()
    table.string('client_id', 200).notNullable()
    table.text('client_secret_sealed').notNullable()
    table.string('scopes', 500).notNullable()
    /** Claim names: identityNumber, fullName, birthDate, unit. */
    table.text('claims').notNullable()
    table.boolean('enabled').notNullable().defaultTo(true)
    table.string('created_by', 64).notNullable()
    table.string('created_at', 32).notNullable()
    table.string('updated_at', 32).notNullable()
  })

  await knex.schema.createTable('oidc_logins', (table) => {
    table.string('state_hash', 64).primary()
    table.integer('provider_id').notNullable().references('id').inTable('identity_providers').onDelete('CASCADE')
    table.string('code_verifier', 128).notNullable()
    table.string('nonce', 128).notNullable()
    table.string('created_at', 32).notNullable()
    table.string('expires_at', 32).notNullable()
    table.string('used_at', 32).nullable()
  })
}

export async function down (knex: Knex): Promise<void> {
  for (const table of ['tenant_security_policies', 'oidc_logins', 'identity_providers', 'password_history', 'sign_in_tickets', 'recovery_codes', 'mfa_factors', 'sessions']) {
    await knex.schema.dropTableIfExists(table)
  }
  await knex.schema.alterTable('users', (table) => {
    table.dropUnique(['identity_number_hash'])
    table.dropColumns('identity_number_sealed', 'identity_number_hash', 'identity_number_hint', 'last_active_at', 'password_changed_at')
  })
}

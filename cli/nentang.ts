#!/usr/bin/env node
import { auditVerifyCommand } from './commands/audit-verify.ts'
import { rotateSecretCommand } from './commands/rotate-secret.ts'
import { devCommand } from './commands/dev.ts'
import { migrateCommand } from './commands/migrate.ts'
import { startCommand } from './commands/start.ts'
import { demoCommand } from './commands/demo.ts'
import { loginCommand, loginUsage } from './commands/login.ts'
import { pluginCheckCommand, pluginCheckUsage } from './commands/plugin-check.ts'
import { pluginInitCommand, pluginInitUsage } from './commands/plugin-init.ts'
import { pluginPackCommand, pluginPackUsage } from './commands/plugin-pack.ts'
import { pluginPublishCommand, pluginPublishUsage } from './commands/plugin-publish.ts'
import { pluginTestCommand, pluginTestUsage } from './commands/plugin-test.ts'
import { UsageError } from './args.ts'
import { describeOptions } from '../core/config.ts'
import { isPlatformError } from '../core/errors.ts'

interface Command {
  summary: string
  /** The command's own help; commands without one take the platform options below, after `synopsis`. */
  usage?: string
  /** How the command is called, for commands that take the platform options. */
  synopsis?: string
  run(args: string[]): Promise<number>
}

const commands: Record<string, Command> = {
  start: { summary: 'start a gateway node (migrates the database first)', synopsis: 'nentang start [--demo] [options]', run: startCommand },
  dev: { summary: 'start a development platform that installs plugin folders for tenant dev and reloads them on every change', synopsis: 'nentang dev <plugin folder>... [options]', run: devCommand },
  migrate: { summary: 'apply pending database migrations and exit', synopsis: 'nentang migrate [options]', run: migrateCommand },
  'rotate-secret': { summary: 'wrap the platform secret with NENTANG_NEW_SECRET_KEY in place of NENTANG_SECRET_KEY; nobody is signed out', synopsis: 'NENTANG_NEW_SECRET_KEY=… nentang rotate-secret [options]', run: rotateSecretCommand },
  'audit verify': { summary: 'verify the audit log hash chain; names the first broken entry', synopsis: 'nentang audit verify [options]', run: auditVerifyCommand },
  demo: { summary: 'prepare the database with demo tenants and users (--national: every province and commune), print their passwords, exit', synopsis: 'nentang demo [--national] [options]', run: demoCommand },
  login: { summary: 'sign in to a platform and keep the token for publish', usage: loginUsage, run: loginCommand },
  'plugin init': { summary: 'scaffold a plugin project: manifest, handlers, types, a test and a README', usage: pluginInitUsage, run: pluginInitCommand },
  'plugin check': { summary: "type-check a plugin's handlers against the SDK's types", usage: pluginCheckUsage, run: pluginCheckCommand },
  'plugin test': { summary: "run a plugin's tests against real sandboxes for a fake tenant", usage: pluginTestUsage, run: pluginTestCommand },
  'plugin pack': { summary: 'pack a plugin folder into a .tgz checked as the registry will', usage: pluginPackUsage, run: pluginPackCommand },
  'plugin publish': { summary: 'upload a plugin to the registry of the platform signed in to', usage: pluginPublishUsage, run: pluginPublishCommand },
}

const listed = (names: string[]): string[] => names.map((name) => `  ${name.padEnd(15)} ${commands[name]!.summary}`)

function usage (): string {
  return [
    'usage: nentang <command> [options]',
    '',
    'commands:',
    ...listed(Object.keys(commands)),
    '',
    'options (each also read from its environment variable):',
    describeOptions(),
  ].join('\n')
}

/** A command's own help: its usage, or how it is called and the platform options it takes. */
function commandUsage (command: Command): string {
  return command.usage ?? [`usage: ${command.synopsis ?? 'nentang <command> [options]'}`, '', 'options (each also read from its environment variable):', describeOptions()].join('\n')
}

/**
 * What a failure that is not the platform's own says: the usual system errors in a line that tells what to do, any
 * other with its stack (a bug to report).
 */
function describeFailure (error: unknown): string {
  const { code, port, address, syscall } = (error ?? {}) as { code?: string, port?: number, address?: string, syscall?: string }
  const where = port === undefined ? (address ?? '') : `${address ?? ''}:${port}`
  switch (code) {
    case 'EADDRINUSE': return `${where} is already in use by another process (EADDRINUSE): stop it, or choose another --port (NENTANG_PORT)`
    case 'EACCES': return `permission denied${syscall === 'listen' ? ` to listen on ${where}: ports below 1024 need privileges, choose another --port` : ` (${syscall ?? 'EACCES'})`}`
    case 'EADDRNOTAVAIL': return `${where} is not an address of this machine (EADDRNOTAVAIL): check --host (NENTANG_HOST)`
    case 'ECONNREFUSED': return `nothing answers at ${where} (ECONNREFUSED): is the database running? check --database-url (NENTANG_DATABASE_URL)`
    case 'ENOSPC': return 'the disk is full (ENOSPC)'
    default: return isPlatformError(error) ? `${error.code}: ${error.message}` : (error as Error)?.stack ?? String(error)
  }
}

async function main (argv: string[]): Promise<number> {
  const name = argv[1] !== undefined && commands[`${argv[0]} ${argv[1]}`] !== undefined ? `${argv[0]} ${argv[1]}` : argv[0]
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage())
    return name === undefined ? 2 : 0
  }
  const command = commands[name]
  if (command === undefined) {
    // A group's name alone (`nentang plugin`, `nentang audit --help`): its commands.
    const group = Object.keys(commands).filter((known) => known.startsWith(`${name} `))
    const asked = argv.slice(1).every((arg) => arg === '--help' || arg === '-h')
    if (group.length > 0) {
      const text = `usage: nentang ${name} <command> [options]\n\ncommands:\n${listed(group).join('\n')}\n\nnentang ${name} <command> --help tells more.`
      if (asked && argv.length > 1) {
        console.log(text)
        return 0
      }
      console.error(`nentang: ${argv[1] === undefined ? `'${name}' needs a command` : `unknown command '${name} ${argv[1]}'`}\n\n${text}`)
      return 2
    }
    console.error(`nentang: unknown command '${name}'\n\n${usage()}`)
    return 2
  }
  const args = argv.slice(name.split(' ').length)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`nentang ${name}: ${command.summary}\n\n${commandUsage(command)}`)
    return 0
  }
  try {
    return await command.run(args)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(`nentang ${name}: ${error.message}\n\n${commandUsage(command)}`)
    return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (error: unknown) => {
    if (isPlatformError(error) && error.code === 'CORE_ERR_CONFIG') {
      console.error(`nentang: ${error.message}`)
      process.exitCode = 2
    } else {
      console.error(`nentang: ${describeFailure(error)}`)
      process.exitCode = 1
    }
  }
)

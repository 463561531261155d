#!/usr/bin/env node
import { auditVerifyCommand } from './commands/audit-verify.ts'
import { devCommand } from './commands/dev.ts'
import { migrateCommand } from './commands/migrate.ts'
import { startCommand } from './commands/start.ts'
import { demoCommand } from './commands/demo.ts'
import { loginCommand, loginUsage } from './commands/login.ts'
import { pluginInitCommand, pluginInitUsage } from './commands/plugin-init.ts'
import { pluginPackCommand, pluginPackUsage } from './commands/plugin-pack.ts'
import { pluginPublishCommand, pluginPublishUsage } from './commands/plugin-publish.ts'
import { pluginTestCommand, pluginTestUsage } from './commands/plugin-test.ts'
import { UsageError } from './args.ts'
import { describeOptions } from '../core/config.ts'
import { isPlatformError } from '../core/errors.ts'

interface Command {
  summary: string
  /** The command's own help; commands without one take the platform options below. */
  usage?: string
  run(args: string[]): Promise<number>
}

const commands: Record<string, Command> = {
  start: { summary: 'start a gateway node (migrates the database first)', run: startCommand },
  dev: { summary: 'start a development platform that installs plugin folders for tenant dev and reloads them on every change', run: devCommand },
  migrate: { summary: 'apply pending database migrations and exit', run: migrateCommand },
  'audit verify': { summary: 'verify the audit log hash chain; names the first broken entry', run: auditVerifyCommand },
  demo: { summary: 'prepare the database with demo tenants and users (--national: every province and commune), print their passwords, exit', run: demoCommand },
  login: { summary: 'sign in to a platform and keep the token for publish', usage: loginUsage, run: loginCommand },
  'plugin init': { summary: 'scaffold a plugin project: manifest, handlers, types, a test and a README', usage: pluginInitUsage, run: pluginInitCommand },
  'plugin test': { summary: "run a plugin's tests against real sandboxes for a fake tenant", usage: pluginTestUsage, run: pluginTestCommand },
  'plugin pack': { summary: 'pack a plugin folder into a .tgz checked as the registry will', usage: pluginPackUsage, run: pluginPackCommand },
  'plugin publish': { summary: 'upload a plugin to the registry of the platform signed in to', usage: pluginPublishUsage, run: pluginPublishCommand },
}

function usage (): string {
  return [
    'usage: nentang <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(15)} ${command.summary}`),
    '',
    'options (each also read from its environment variable):',
    describeOptions(),
  ].join('\n')
}

async function main (argv: string[]): Promise<number> {
  const name = argv[1] !== undefined && commands[`${argv[0]} ${argv[1]}`] !== undefined ? `${argv[0]} ${argv[1]}` : argv[0]
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage())
    return name === undefined ? 2 : 0
  }
  const command = commands[name]
  if (command === undefined) {
    console.error(`nentang: unknown command '${name}'\n\n${usage()}`)
    return 2
  }
  const args = argv.slice(name.split(' ').length)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`nentang ${name}: ${command.summary}\n\n${command.usage ?? usage()}`)
    return 0
  }
  try {
    return await command.run(args)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(`nentang ${name}: ${error.message}\n\n${command.usage ?? usage()}`)
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
      console.error(`nentang: ${isPlatformError(error) ? `${error.code}: ${error.message}` : (error as Error)?.stack ?? String(error)}`)
      process.exitCode = 1
    }
  }
)

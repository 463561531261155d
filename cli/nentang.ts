#!/usr/bin/env node
import { auditVerifyCommand } from './commands/audit-verify.ts'
import { devCommand } from './commands/dev.ts'
import { migrateCommand } from './commands/migrate.ts'
import { startCommand } from './commands/start.ts'
import { describeOptions } from '../core/config.ts'
import { isPlatformError } from '../core/errors.ts'

interface Command {
  summary: string
  run(args: string[]): Promise<number>
}

const commands: Record<string, Command> = {
  start: { summary: 'start a gateway node (migrates the database first)', run: startCommand },
  dev: { summary: 'start a development platform that installs plugin folders for tenant dev and reloads them on every change', run: devCommand },
  migrate: { summary: 'apply pending database migrations and exit', run: migrateCommand },
  'audit verify': { summary: 'verify the audit log hash chain; names the first broken entry', run: auditVerifyCommand },
}

function usage (): string {
  return [
    'usage: nentang <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(14)} ${command.summary}`),
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
    console.log(`nentang ${name}: ${command.summary}\n\n${usage()}`)
    return 0
  }
  return command.run(args)
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
  },
)

/** Command-line arguments: positionals, `--name value`, `--name=value`, and boolean `--flag`s. */
export interface ParsedArgs {
  positionals: string[]
  options: Map<string, string>
  flags: Set<string>
}

export class UsageError extends Error {}

export function parseArgs (args: string[], booleans: readonly string[] = [], known?: readonly string[]): ParsedArgs {
  const positionals: string[] = []
  const options = new Map<string, string>()
  const flags = new Set<string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('--')) {
      positionals.push(arg)
      continue
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined]
    if (known !== undefined && !known.includes(name) && !booleans.includes(name)) throw new UsageError(`unknown option --${name}`)
    if (booleans.includes(name)) flags.add(name)
    else if (inline !== undefined) options.set(name, inline)
    else if (i + 1 < args.length) options.set(name, args[++i]!)
    else throw new UsageError(`--${name} needs a value`)
  }
  return { positionals, options, flags }
}

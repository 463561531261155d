import { readdirSync, readFileSync } from 'node:fs'

/** CPU time (user + system, in clock ticks) of every process this machine shows in /proc, with what kind it is. */
export type CpuSnapshot = Map<number, { kind: string, ticks: number }>

const TICKS_PER_SECOND = 100

function kindOf (command: string): string {
  if (command.includes('sandbox/worker/main.ts')) return 'worker'
  if (command.includes('nentang.ts start')) return 'gateway'
  if (command.startsWith('postgres')) return 'postgres'
  if (command.startsWith('nginx')) return 'nginx'
  return 'other'
}

/** The CPU time used so far by each process (Linux /proc; empty elsewhere). */
export function cpuSnapshot (): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map()
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return snapshot
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
      snapshot.set(Number(pid), { kind: kindOf(command), ticks: Number(fields[11]) + Number(fields[12]) })
    } catch {
      // Gone meanwhile.
    }
  }
  return snapshot
}

/** Seconds of CPU each kind of process spent between two snapshots (a process that ended in between is not counted). */
export function cpuSpent (before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const seconds: Record<string, number> = {}
  for (const [pid, { kind, ticks }] of after) {
    seconds[kind] = (seconds[kind] ?? 0) + (ticks - (before.get(pid)?.ticks ?? 0)) / TICKS_PER_SECOND
  }
  return Object.fromEntries(Object.entries(seconds).map(([kind, value]) => [kind, Math.round(value * 10) / 10]))
}

import { examples, type PluginPlatform } from './plugins.ts'

/**
 * Installs `examples/hello` for tenant `hcm` and keeps calling it while `during` runs: the second
 * tenant whose requests must keep succeeding while another tenant's plugin misbehaves.
 * Returns every status it got, and the result of `during`.
 */
export async function whileNeighbourServes<T> (
  p: PluginPlatform,
  during: () => Promise<T>,
  options: { otherWorkerThan?: string } = {}
): Promise<{ statuses: number[], result: T }> {
  const { table, supervisor } = p.platform.services.plugins
  let mount = 'hello'
  await p.install('hcm', mount, `${examples}hello`)
  // When the failure takes a whole worker down, put the neighbour on another worker.
  for (let i = 2; options.otherWorkerThan !== undefined && supervisor.workerIndex('tenant', table.get('hcm', mount)!.spec.key) === supervisor.workerIndex('tenant', options.otherWorkerThan); i++) {
    mount = `hello-${i}`
    await p.install('hcm', mount, `${examples}hello`)
  }
  const path = `/t/hcm/${mount}/hello`
  const statuses: number[] = [(await p.call('GET', path)).status]
  const live = { running: true }
  const loop = (async () => {
    while (live.running) {
      statuses.push((await p.call('GET', path)).status)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  try {
    const result = await during()
    return { statuses, result }
  } finally {
    live.running = false
    await loop
    statuses.push((await p.call('GET', path)).status)
  }
}

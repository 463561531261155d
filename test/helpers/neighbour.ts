import { examples, type PluginPlatform } from './plugins.ts'

/**
 * Installs `examples/hello` for tenant `hcm` and keeps calling it while `during` runs: the second
 * tenant whose requests must keep succeeding while another tenant's plugin misbehaves.
 * Returns every status it got, and the result of `during`.
 */
export async function whileNeighbourServes<T> (p: PluginPlatform, during: () => Promise<T>): Promise<{ statuses: number[], result: T }> {
  await p.install('hcm', 'hello', `${examples}hello`)
  const statuses: number[] = [(await p.call('GET', '/t/hcm/hello/hello')).status]
  let running = true
  const loop = (async () => {
    while (running) {
      statuses.push((await p.call('GET', '/t/hcm/hello/hello')).status)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  try {
    const result = await during()
    return { statuses, result }
  } finally {
    running = false
    await loop
    statuses.push((await p.call('GET', '/t/hcm/hello/hello')).status)
  }
}

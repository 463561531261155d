/**
 * The LGSP simulator as a process of its own (`node --no-node-snapshot examples/lgsp-simulator/main.ts [port]`):
 * prints one JSON line (`LGSP_SIMULATOR {url, mtlsUrl, credentials, pki}`) and serves until SIGTERM or SIGINT.
 * `nentang demo` and the exchange benchmark start it so; tests start it in-process (simulator.ts).
 */
import { startSimulator } from './simulator.ts'

const sim = await startSimulator({ port: Number(process.argv[2] ?? 0) })
const { url, mtlsUrl, credentials, pki } = sim
process.stdout.write(`LGSP_SIMULATOR ${JSON.stringify({ url, mtlsUrl, credentials, pki })}\n`)
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => { void sim.close().then(() => process.exit(0)) })
}

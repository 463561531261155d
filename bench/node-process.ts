// A gateway node in its own process for the registry bench: the configuration comes as JSON in
// NENTANG_BENCH_CONFIG; it prints `{"url": …}` once listening and stops on SIGTERM.
import { defaults } from '../core/config.ts'
import { startPlatform } from '../platform/start.ts'

const platform = await startPlatform({ ...defaults, mfaRoles: [], ...JSON.parse(process.env.NENTANG_BENCH_CONFIG ?? '{}') })
console.log(JSON.stringify({ url: platform.url }))
process.on('SIGTERM', () => { platform.close().then(() => process.exit(0)) })

import { exchange, http, settings } from 'nentang:sdk'

/** One exchange call: credentials added on the gateway, hashed and logged. */
export async function viaExchange () {
  const answer = await exchange.call('echo', { path: '/echo/bench' })
  return { status: answer.status, method: answer.json.method }
}

/** The same call as a plain fetch: the baseline. */
export async function viaFetch () {
  const answer = await http.fetch(`${settings().echoUrl}/echo/bench`)
  return { status: answer.status, method: JSON.parse(answer.body).method }
}

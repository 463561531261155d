// SQLite pass only: the access log's lines do not depend on the database.
import { Writable } from 'node:stream'
import t from 'tap'
import { createAccessLog } from '../../core/access-log.ts'
import { createLogger } from '../../core/logger.ts'

t.test('every access-log line is one JSON object, whatever the values hold', async (t) => {
  let out = ''
  const logger = createLogger('info', new Writable({ write (chunk, _encoding, done) { out += chunk; done() } }))
  const log = createAccessLog(logger)
  const hostile = ['plain-value', 'a"quote', 'back\\slash', 'line\nbreak', 'Phường Ba Đình', '\u2028', '{"injected":true}', '']
  for (const value of hostile) {
    log.write({ requestId: value, clientRequestId: value, method: value, route: value, status: 200, ms: 1.5, user: value, code: value })
  }
  log.write({ requestId: '5f0c7a4e-1b2c-4d3e-8f90-123456789abc', method: 'GET', route: '/t/{tenant}/permits/permits/:id', status: 404, ms: 0.4, user: undefined, code: 'CORE_ERR_NOT_FOUND' })
  log.flush()
  await new Promise((resolve) => setTimeout(resolve, 50))
  const lines = out.trim().split('\n')
  t.equal(lines.length, hostile.length + 1, 'one line per request, none split')
  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  const fields = (entry: Record<string, unknown>): unknown[] => [entry.requestId, entry.method, entry.route, entry.user, entry.code, entry.clientRequestId]
  t.same(parsed.slice(0, hostile.length).map(fields), hostile.map((v) => [v, v, v, v, v, v]), 'each value comes back as it was written')
  t.match(parsed.at(-1), { level: 'info', service: 'nentang', msg: 'request', route: '/t/{tenant}/permits/permits/:id', status: 404, code: 'CORE_ERR_NOT_FOUND' })
  t.notOk('user' in parsed.at(-1)!, 'no user on an anonymous request')
  log.close()
})

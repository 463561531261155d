// Đồng bộ hồ sơ lên Cổng Dịch vụ công quốc gia: follows the procedures plugin's dossiers by their events and sends each
// filing (DongBoHoSoMC) and each change of status (CapNhatTienDoHoSoMC) to the portal through the unit's 'portal'
// endpoint. A unit's administrators map each procedure's workflow states to the portal's statuses 1–10 in the browser;
// a mapping that would make the portal jump where it may not is refused. Calls wait in an outbox, sent in the order
// the dossiers moved; a failure is retried by timer (never dropped) and shown per dossier.
// Built only on `nentang:sdk`, as any locality's plugin is.
import { exchange, settings, storage, timers } from 'nentang:sdk'
import { PORTAL_STATUSES, illegalJumps, jumpAllowed, portalTime } from './ui/portal.js'

/**
 * @typedef {{ seq: number, receipt: string, call: string, payload: Record<string, any>, state: string,
 *   error: string | null, attempts: number, createdAt: string, sentAt: string | null, claimedAt?: string,
 *   failedAt?: string }} OutboxItem
 */
const workflows = storage.collection('workflows')
const mappings = storage.collection('mappings')
/** @type {import('nentang:sdk').Collection<OutboxItem>} */
const outbox = storage.collection('outbox')
/** @type {import('nentang:sdk').Collection<{ name: string, due: number }>} */
const controls = storage.collection('controls')
/** @returns {{ retryBaseSeconds: number, unitCode?: string }} */
const configured = () => settings()

const BATCH = 20
const STALE_CLAIM_MS = 60_000
const MAX_RETRY_SECONDS = 3600
/** Half the handlers' time limit (plugin.json's 15 s): a flush stops sending by then and hands on to a timer. */
const FLUSH_BUDGET_MS = 7_500

const fail = (request, status, code, vi, en, field) => ({
  status,
  body: { error: { code, message: request.headers['accept-language']?.startsWith('en') ? en : vi, ...(field === undefined ? {} : { field }) } },
})

/** The nearest of a collection's documents for a procedure: this unit's, else its nearest ancestor's. */
async function nearest (collection, procedure) {
  const [found = null] = await storage.collection(collection, { scope: 'lineage' }).find({ procedure }, { limit: 1 })
  return found
}

/** A procedure as the procedures plugin published it: remembered where it was published, for the mapping screen. */
export async function onPublished (request) {
  const { code, version, name, workflow } = request.body.payload
  const [known] = await workflows.find({ procedure: code }, { limit: 1 })
  const doc = { procedure: code, version, name, workflow, at: request.body.publishedAt }
  if (known === undefined) await workflows.insert(doc)
  else if (known.version <= version) await workflows.update(known._id, doc)
  return { ok: true }
}

export async function listProcedures () {
  const known = await storage.collection('workflows', { scope: 'lineage' }).find({}, { limit: 500 })
  const seen = new Set()
  const procedures = []
  for (const one of known) {
    if (seen.has(one.procedure)) continue
    seen.add(one.procedure)
    const mapping = await nearest('mappings', one.procedure)
    const { name, version, workflow } = one
    procedures.push({ code: one.procedure, name, version, workflow, mapping: mapping?.states ?? null, mappedAt: mapping?._tenant ?? null })
  }
  return { procedures, statuses: PORTAL_STATUSES }
}

/** Sets this unit's mapping of a procedure's states to portal statuses, checked against the procedure's workflow. */
export async function setMapping (request) {
  const procedure = request.params.procedure
  const known = await nearest('workflows', procedure)
  if (known === null) return fail(request, 404, 'PORTAL_SYNC_UNKNOWN_PROCEDURE', 'Chưa có thủ tục này (hãy công bố thủ tục trước)', 'No such procedure yet (publish it first)')
  const { states } = request.body
  const problems = illegalJumps(known.workflow, states)
  if (problems.length > 0) {
    // In the caller's language, as the platform's own errors are.
    const said = (message) => request.headers['accept-language']?.startsWith('en') ? message.en : message.vi
    const errors = problems.map((one) => ({ field: one.field, message: said(one.message) }))
    return { status: 422, body: { error: { code: 'PORTAL_SYNC_ILLEGAL_MAPPING', message: errors[0].message, field: errors[0].field, errors } } }
  }
  const [mine] = await mappings.find({ procedure }, { limit: 1 })
  const doc = { procedure, states, version: known.version, by: request.user.username, at: new Date().toISOString() }
  if (mine === undefined) await mappings.insert(doc)
  else await mappings.update(mine._id, doc)
  return { procedure, states }
}

/** What to tell the portal of a dossier's filing: its record, as newly registered (its first step's status). */
export async function onFiled (request) {
  const { id, payload } = request.body
  const mapping = await nearest('mappings', payload.procedure.code)
  const status = mapping?.states[payload.state]
  const call = {
    MaHoSo: payload.receipt,
    MaTTHC: payload.procedure.code,
    TenTTHC: payload.procedure.name?.vi ?? payload.procedure.code,
    MaDonVi: configured().unitCode ?? request.tenant,
    ChuHoSo: payload.applicant?.name ?? '',
    NgayTiepNhan: portalTime(payload.filedAt),
    TrangThaiHoSo: status,
  }
  let refused = null
  if (mapping === null) refused = `no mapping for the procedure '${payload.procedure.code}'`
  else if (!Number.isInteger(status)) refused = `the step '${payload.state}' has no portal status`
  await enqueue(id, payload.receipt, 'DongBoHoSoMC', call, refused)
  await flush()
  return { ok: true }
}

/** A dossier that moved: a progress call when its portal status changes; none when the two states share one. */
export async function onMoved (request) {
  const { id, payload } = request.body
  const mapping = await nearest('mappings', payload.procedure.code)
  const from = mapping?.states[payload.from]
  const to = mapping?.states[payload.to]
  if (mapping !== null && from === to) return { ok: true, unchanged: true }
  const call = { MaHoSo: payload.receipt, TrangThaiHoSo: to, NgayCapNhat: portalTime(payload.at), NoiDungXuLy: payload.comment ?? payload.action }
  let refused = null
  if (mapping === null) refused = `no mapping for the procedure '${payload.procedure.code}'`
  else if (!Number.isInteger(to)) refused = `the step '${payload.to}' has no portal status`
  else if (!jumpAllowed(from, to)) refused = `the portal cannot go from status ${from} to ${to}`
  await enqueue(id, payload.receipt, 'CapNhatTienDoHoSoMC', call, refused)
  await flush()
  return { ok: true }
}

async function enqueue (seq, receipt, call, payload, refused) {
  // An event may be delivered twice (at least once): its sequence number makes the second a no-op.
  const [already] = await outbox.find({ seq }, { limit: 1 })
  if (already !== undefined) return
  await outbox.insert({ seq, receipt, call, payload, state: refused === null ? 'pending' : 'refused', error: refused, attempts: 0, createdAt: new Date().toISOString(), sentAt: null })
}

/**
 * Sends what waits, oldest first, stopping at the first failure so the portal hears each dossier's steps in order; a
 * failure schedules a retry (30 s, 60 s, … at most an hour apart). Each call is claimed first, so two flushes never
 * send one twice.
 */
async function flush () {
  const started = Date.now()
  const waiting = await outbox.find({ state: { $in: ['pending', 'failed', 'sending'] } }, { sort: 'seq', limit: BATCH })
  for (const item of waiting) {
    // Within the handler's own time (a slow portal takes seconds a call): the rest goes on in a timer's run.
    if (Date.now() - started > FLUSH_BUDGET_MS) {
      await timers.at(Date.now(), 'retry')
      return
    }
    if (item.state === 'sending' && Date.parse(item.claimedAt) > Date.now() - STALE_CLAIM_MS) return
    const claimed = await outbox.update(item._id, { state: 'sending', claimedAt: new Date().toISOString(), attempts: item.attempts + 1 }, { expect: { state: item.state, attempts: item.attempts } })
    if (claimed === null) return
    const error = await send(item)
    if (error !== null) {
      await outbox.update(item._id, { state: 'failed', error, failedAt: new Date().toISOString() })
      await retryLater(item.attempts + 1)
      return
    }
    await outbox.update(item._id, { state: 'sent', error: null, sentAt: new Date().toISOString() })
  }
  if (waiting.length === BATCH) await timers.at(Date.now(), 'retry')
}

/** Null when the portal took the call (`error_code` "00"), else why not. */
async function send (item) {
  try {
    const answer = await exchange.call('portal', { method: 'POST', path: `/${item.call}`, json: item.payload })
    if (answer.status === 200 && answer.json?.error_code === '00') return null
    return `the portal answered ${answer.status} ${String(answer.json?.error_code ?? '')} ${String(answer.json?.message ?? answer.body ?? '').slice(0, 200)}`.trim()
  } catch (caught) {
    const error = /** @type {{ code?: string, name: string, message: string }} */ (caught)
    return `${error.code ?? error.name}: ${String(error.message).slice(0, 300)}`
  }
}

async function retryLater (attempts) {
  const seconds = Math.min(configured().retryBaseSeconds * 2 ** Math.min(attempts - 1, 12), MAX_RETRY_SECONDS)
  const due = Date.now() + seconds * 1000
  const [control] = await controls.find({ name: 'retry' }, { limit: 1 })
  if (control !== undefined && control.due > Date.now()) return
  if (control === undefined) await controls.insert({ name: 'retry', due })
  else if (await controls.update(control._id, { due }, { expect: { due: control.due } }) === null) return
  await timers.at(due, 'retry')
}

/** The retry timer: sends what still waits. */
export async function retry () {
  await flush()
  return { ok: true }
}

export async function flushNow () {
  await flush()
  return queue()
}

/** Every call made or waiting for one dossier, in order: what the portal was told, when, and what went wrong. */
export async function dossierSync (request) {
  const items = await outbox.find({ receipt: request.params.receipt }, { sort: 'seq', limit: 100 })
  const calls = items.map(({ call, payload, state, error, attempts, sentAt }) => ({ call, status: payload.TrangThaiHoSo, state, error, attempts, sentAt }))
  return { receipt: request.params.receipt, calls }
}

export async function queue () {
  const counts = {}
  for (const state of ['pending', 'sending', 'failed', 'sent', 'refused']) counts[state] = await outbox.count({ state })
  const problems = await outbox.find({ state: { $in: ['failed', 'refused'] } }, { sort: 'seq', limit: 50 })
  return { counts, problems: problems.map(({ receipt, call, state, error, attempts }) => ({ receipt, call, state, error, attempts })) }
}

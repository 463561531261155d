// Đăng ký hộ kinh doanh (household business registration), end to end on the SDK: a citizen applies and attaches
// papers, signs the application with their own certificate; an officer decides, once (two officers cannot both);
// the unit seals the certificate it issues; a deadline timer flags late dossiers; the decision is announced as an
// event; the register exports to Excel; the province sets the fee its communes charge and reports over them.
import { audit, crypto, directory, events, exports, files, settings, signature, storage, timers } from 'nentang:sdk'

/**
 * @typedef {{ id: string, name: string, type: string, size: number }} Paper
 * @typedef {{ file: string, content: import('nentang:sdk').Json, signingTime: string }} Certificate
 * @typedef {{
 *   businessName: string, address: string, receivedAt: string, state: string, owner: string,
 *   applicant: { name: string, idNumber: string }, attachments: Paper[], signed: boolean,
 *   digest?: string, timer?: string, overdue?: boolean, signer?: string, certificate?: Certificate
 * }} Dossier
 */

/** @type {import('nentang:sdk').Collection<Dossier>} */
const dossiers = storage.collection('dossiers')
const notices = storage.collection('notifications')

const isOfficer = (user) => user !== null && user.roles.includes('officer')
const notFound = { status: 404, body: { error: { code: 'DOSSIER_NOT_FOUND', message: 'Không tìm thấy hồ sơ' } } }

/**
 * What the applicant signs, and what the unit seals: the application as canonical JSON.
 * @param {Dossier} dossier
 */
const application = ({ businessName, applicant, address, receivedAt }) => ({ businessName, applicant, address, receivedAt })

async function mine (request) {
  const dossier = await dossiers.get(request.params.id)
  if (dossier === null || (dossier.owner !== request.user.username && !isOfficer(request.user))) return null
  return dossier
}

export async function submit (request) {
  const { businessName, applicantName, idNumber, address } = request.body
  const receivedAt = new Date().toISOString()
  const { deadlineMs } = /** @type {{ deadlineMs: number }} */ (settings())
  const dossier = await dossiers.insert({
    businessName,
    address,
    receivedAt,
    state: 'submitted',
    owner: request.user.username,
    applicant: { name: applicantName, idNumber },
    attachments: [],
    signed: false,
  })
  const digest = await crypto.digest('SHA-256', application(dossier))
  const timer = await timers.at(Date.now() + deadlineMs, 'overdue', { id: dossier._id })
  await dossiers.update(dossier._id, { digest, timer })
  await audit.record('dossier.submitted', dossier._id, { businessName })
  return { status: 201, body: { ...dossier, digest, timer } }
}

export async function list (request) {
  /** @type {import('nentang:sdk').Filter} */
  const filter = {}
  if (!isOfficer(request.user)) filter.owner = request.user.username
  if (typeof request.query.state === 'string') filter.state = request.query.state
  if (typeof request.query.q === 'string' && request.query.q.trim() !== '') filter.businessName = { $search: request.query.q }
  const after = typeof request.query.after === 'string' ? request.query.after : undefined
  return { items: await dossiers.find(filter, { limit: 50, ...(after === undefined ? {} : { after }) }) }
}

export async function show (request) {
  const dossier = await mine(request)
  if (dossier === null) return notFound
  const links = await Promise.all(dossier.attachments.map(async (file) => ({ ...file, url: await files.url(file.id, { expiresIn: 600 }) })))
  const certificate = dossier.certificate === undefined ? null : { ...dossier.certificate, url: await files.url(dossier.certificate.file) }
  return { ...dossier, attachments: links, certificate }
}

export async function attach (request) {
  const dossier = await mine(request)
  if (dossier === null) return notFound
  for (const file of request.files) await files.keep(file.id)
  const added = request.files.map(({ id, name, type, size }) => ({ id, name, type, size }))
  await dossiers.update(dossier._id, { attachments: [...dossier.attachments, ...added] })
  return { status: 201, body: { attachments: added } }
}

export async function sign (request) {
  const dossier = await mine(request)
  if (dossier === null || dossier.owner !== request.user.username) return notFound
  const check = await signature.verify({ signature: request.body.signature, content: application(dossier), signer: 'current-user' })
  if (!check.ok) return { status: 422, body: { error: { code: check.code, message: check.message } } }
  await dossiers.update(dossier._id, { signed: true, signer: check.signer.subject })
  await audit.record('dossier.signed', dossier._id, { signer: check.signer.subject })
  return check
}

export async function decide (request) {
  const { decision, note = '' } = request.body
  const decidedAt = new Date().toISOString()
  if (await dossiers.get(request.params.id) === null) return notFound
  // One conditional transition, with its history, all or nothing: of two officers deciding at once, exactly one wins.
  const results = await storage.batch([
    { op: 'update', collection: 'dossiers', id: request.params.id, patch: { state: decision, decidedBy: request.user.username, decidedAt, note }, expect: { state: 'submitted' } },
    { op: 'insert', collection: 'history', doc: { dossier: request.params.id, to: decision, by: request.user.username, at: decidedAt } },
  ])
  if (results === null) return { status: 409, body: { error: { code: 'DOSSIER_DECIDED', message: 'Hồ sơ đã được xử lý' } } }
  const decided = /** @type {import('nentang:sdk').Stored<Dossier>} */ (results[0])
  if (typeof decided.timer === 'string') await timers.cancel(decided.timer)
  let certificate
  if (decision === 'approved') {
    const content = { ...application(decided), decision, decidedAt, unit: request.tenant }
    const sealed = await signature.seal(content)
    const file = await files.create({ name: `giay-chung-nhan-${decided._id}.p7s`, type: 'application/pkcs7-signature', content: sealed.signature, encoding: 'base64' })
    certificate = { file: file.id, content, signingTime: sealed.signingTime }
    await dossiers.update(decided._id, { certificate })
  }
  await events.publish('dossier.decided', { id: decided._id, decision })
  await audit.record(`dossier.${decision}`, decided._id, { note })
  return { ...decided, certificate: certificate ?? null }
}

// Timer: the deadline passed with the dossier still waiting.
export async function overdue (request) {
  await dossiers.update(request.body.id, { overdue: true }, { expect: { state: 'submitted' } })
  return { ok: true }
}

// Event subscriber: a decision leaves a notice for the unit's officers.
export async function onDecided (request) {
  await notices.insert({ dossier: request.body.payload.id, decision: request.body.payload.decision, at: request.body.publishedAt })
  return { ok: true }
}

export async function notifications () {
  return { items: await notices.find({}, { limit: 100 }) }
}

// The fee: a commune's own if it set one, else its province's (the nearest unit up the tree).
export async function fees () {
  const [nearest] = await storage.collection('fees', { scope: 'lineage' }).find({}, { limit: 1 })
  return { fee: nearest?.fee ?? null, setBy: nearest?._tenant ?? null }
}

export async function setFee (request) {
  const fees = storage.collection('fees')
  const [current] = await fees.find({}, { limit: 1 })
  if (current === undefined) await fees.insert({ fee: request.body.fee })
  else await fees.update(current._id, { fee: request.body.fee })
  return { fee: request.body.fee }
}

// A province over its communes (and itself): dossiers by unit and state.
export async function report () {
  return { rows: await storage.collection('dossiers', { scope: 'subtree' }).aggregate({ groupBy: ['_tenant', 'state'], metrics: { n: { op: 'count' } } }) }
}

export async function officers () {
  return { officers: await directory.users({ role: 'officer' }), units: await directory.units() }
}

export async function startExport (request) {
  const filter = typeof request.body.state === 'string' ? { state: request.body.state } : {}
  const columns = [
    { field: 'receivedAt', title: 'Ngày nhận' }, { field: 'businessName', title: 'Tên hộ kinh doanh' },
    { field: 'applicant.name', title: 'Chủ hộ' }, { field: 'address', title: 'Địa chỉ' }, { field: 'state', title: 'Trạng thái' },
  ]
  return { status: 202, body: await exports.start({ collection: 'dossiers', filter, columns, format: request.body.format ?? 'xlsx', name: 'so-dang-ky-ho-kinh-doanh' }) }
}

export async function exportStatus (request) {
  const status = await exports.status(request.params.id)
  if (status === null) return notFound
  return { ...status, url: status.file === null ? null : await files.url(status.file.id) }
}

// Thủ tục hành chính: a unit's administrative procedures, built without code. Its administrators define a procedure
// (an e-form, a workflow, reports) and publish versions; people file dossiers under the published version nearest up
// the unit tree (a commune's own, else its province's); officers move them through the workflow, signing where a step
// asks; the unit seals the result; reports count and sum over the unit or, at a province, over its communes.
// Built only on `nentang:sdk`, as any locality's plugin is.
import { audit, events, exports, files, signature, storage, timers } from 'nentang:sdk'
import { checkData, checkForm, filesOf, toJsonSchema } from './ui/form.js'
import { isUnitCode } from './ui/unit-codes.js'
import { ACTORS, allowedTransitions, checkWorkflow, stateOf } from './ui/workflow.js'

const procedures = storage.collection('procedures')
const dossiers = storage.collection('dossiers')
const history = storage.collection('history')

const CODE = /^[a-z0-9][a-z0-9-]{0,39}$/
const DAY = 24 * 60 * 60 * 1000
const GROUPS = ['state', 'procedure.code', 'filedMonth', 'overdue', '_tenant']
const METRICS = ['count', 'sum', 'avg', 'min', 'max']
const VERSIONS_KEPT = 100

/**
 * What other plugins hear (`dossier.filed`, `dossier.moved`, `procedure.published`): enough to follow a dossier from
 * outside (the national portal's sync, @vn/portal-sync) without reading this plugin's documents.
 */
const dossierEvent = (dossier) => ({
  id: dossier._id,
  receipt: dossier.receipt,
  procedure: dossier.procedure,
  state: dossier.state,
  applicant: { name: dossier.applicant?.name ?? null },
  filedAt: dossier.filedAt,
})
const workflowEvent = (workflow) => ({
  initial: workflow.initial,
  states: workflow.states.map(({ name, label = null, outcome }) => ({ name, label, ...(outcome === undefined ? {} : { outcome }) })),
  transitions: workflow.transitions.map(({ from, action, to }) => ({ from, action, to })),
})
const versionsRead = new Map()

// ---- answers ------------------------------------------------------------------------------------------------------

const english = (request) => /^en\b/i.test(String(request.headers['accept-language'] ?? ''))
const fail = (request, status, code, vi, en, extra = {}) => ({ status, body: { error: { code, message: english(request) ? en : vi, ...extra } } })
const notFound = (request, what = 'hồ sơ', whatEn = 'dossier') => fail(request, 404, 'PROCEDURES_NOT_FOUND', `Không tìm thấy ${what}`, `No such ${whatEn}`)
const invalidDefinition = (request, problems) => fail(request, 422, 'PROCEDURES_INVALID_DEFINITION', 'Định nghĩa thủ tục chưa hợp lệ', 'The procedure\'s definition is not valid', { problems })
/** 422 listing every field error, each in both languages; the message in the caller's. */
const invalidData = (request, fields) => fail(request, 422, 'PROCEDURES_INVALID_DATA',
  `Hồ sơ có ${fields.length} lỗi: ${fields.map((f) => f.message.vi).join('; ')}`,
  `The dossier has ${fields.length} error(s): ${fields.map((f) => f.message.en).join('; ')}`, { fields })

/** A refused signature, said in Vietnamese (the SDK says it in English). */
const SIGNATURE_FAILURES = {
  SIG_MALFORMED: 'Tệp chữ ký không phải chữ ký CMS (.p7s) hợp lệ',
  SIG_INVALID: 'Chữ ký không khớp với nội dung cần ký',
  SIG_EXPIRED: 'Chứng thư số không còn hiệu lực vào lúc ký',
  SIG_KEY_USAGE: 'Chứng thư số này không được dùng để ký văn bản',
  SIG_UNTRUSTED: 'Chứng thư số không do tổ chức chứng thực mà đơn vị tin cậy cấp',
  SIG_REVOKED: 'Chứng thư số đã bị tổ chức chứng thực thu hồi',
  SIG_REVOCATION_UNKNOWN: 'Chưa kiểm tra được tình trạng thu hồi của chứng thư số: danh sách thu hồi của tổ chức chứng thực đã hết hạn, quản trị đơn vị cần cập nhật',
  SIG_NOT_SIGNER: 'Chứng thư số không phải của người đang xử lý hồ sơ',
}

const roles = (request) => request.user?.roles ?? []
const isAdmin = (request) => roles(request).includes('tenant-admin')
const isOfficer = (request) => roles(request).includes('officer') || isAdmin(request)
const isUnit = (code) => typeof code === 'string' && isUnitCode(code)

/** Who may act on a dossier in `state`: the roles of the transitions leaving it, sorted, joined; null at the end. */
function waitingFor (workflow, state) {
  const actors = [...new Set(workflow.transitions.filter((t) => t.from === state).flatMap((t) => t.roles))].sort()
  return actors.length === 0 ? null : actors.join(' ')
}
/** Every `waitingFor` value that names one of `roles`: an inbox's filter. */
function waitingKeys (roles) {
  const keys = []
  for (let mask = 1; mask < 1 << ACTORS.length; mask++) {
    const set = ACTORS.filter((_, i) => (mask & (1 << i)) !== 0)
    if (set.some((role) => roles.includes(role))) keys.push([...set].sort().join(' '))
  }
  return keys
}

// ---- procedures ---------------------------------------------------------------------------------------------------

/** The procedure's own record at this unit (drafts, versions), or null. */
async function own (code) {
  const [found] = await procedures.find({ code }, { limit: 1 })
  return found ?? null
}

/** The published procedure that serves this unit: its own, else the nearest ancestor's (lineage, nearest first). */
async function serving (code) {
  const found = await storage.collection('procedures', { scope: 'lineage' }).find({ code, published: { $exists: true, $ne: null } }, { limit: 20 })
  return found[0] ?? null
}

/**
 * A published version of `code` made at `unit` (this one or an ancestor). Published versions never change, so the ones
 * read are kept (the last VERSIONS_KEPT): filing reads its procedure's once per isolate, not on every dossier.
 */
async function version (code, number, unit) {
  const key = `${unit}\u0000${code}\u0000${number}`
  const kept = versionsRead.get(key)
  if (kept !== undefined) return kept
  const [found = null] = await storage.collection('versions', { scope: 'lineage' }).find({ code, version: number, unit }, { limit: 1 })
  if (found !== null) {
    if (versionsRead.size >= VERSIONS_KEPT) versionsRead.delete(versionsRead.keys().next().value)
    versionsRead.set(key, found)
  }
  return found
}

/** What is wrong with a procedure's definition: its fields, form, workflow and reports. */
function checkDefinition (body) {
  const problems = []
  if (body.name === null || typeof body.name !== 'object' || typeof body.name.vi !== 'string' || body.name.vi.trim() === '') problems.push({ path: 'name.vi', message: 'the name in Vietnamese' })
  if (body.timeLimitDays !== undefined && (!Number.isInteger(body.timeLimitDays) || body.timeLimitDays < 1 || body.timeLimitDays > 365)) problems.push({ path: 'timeLimitDays', message: 'whole days, 1 to 365' })
  if (body.fee !== undefined && (!Number.isInteger(body.fee) || body.fee < 0)) problems.push({ path: 'fee', message: 'whole đồng, 0 or more' })
  problems.push(...checkForm(body.form), ...checkWorkflow(body.workflow))
  ;(body.reports ?? []).forEach((report, i) => problems.push(...checkReport(report).map((p) => ({ ...p, path: `reports[${i}].${p.path}` }))))
  return problems
}

const definitionOf = ({ name, sector = null, timeLimitDays = null, fee = 0, form, workflow, reports = [] }) =>
  ({ name, sector, timeLimitDays, fee, form, workflow, reports })

export async function catalogue (request) {
  const rows = await storage.collection('procedures', { scope: 'lineage' }).find({}, { limit: 500 })
  // Nearest first: a commune's own procedure hides its province's of the same code once it is published.
  const seen = new Map()
  for (const row of rows) {
    const mine = row._tenant === request.tenant
    if (seen.has(row.code)) continue
    if (row.published === null && !(mine && isAdmin(request))) continue
    seen.set(row.code, {
      code: row.code,
      name: row.name,
      sector: row.sector,
      unit: row._tenant,
      published: row.published,
      latest: row.latest,
      inherited: !mine,
      ...(mine && isAdmin(request) ? { draft: row.draft !== null } : {}),
    })
  }
  return { items: [...seen.values()] }
}

export async function create (request) {
  const { code } = request.body
  if (typeof code !== 'string' || !CODE.test(code)) return fail(request, 422, 'PROCEDURES_INVALID_DEFINITION', 'Mã thủ tục gồm chữ thường, số và dấu -', 'A procedure code is lower-case letters, digits and -', { problems: [{ path: 'code', message: 'lower-case letters, digits and -, at most 40' }] })
  const problems = checkDefinition(request.body)
  if (problems.length > 0) return invalidDefinition(request, problems)
  if (await own(code) !== null) return fail(request, 409, 'PROCEDURES_EXISTS', 'Thủ tục này đã có ở đơn vị', 'This unit already has this procedure')
  const definition = definitionOf(request.body)
  const made = await procedures.insert({
    code,
    name: definition.name,
    sector: definition.sector,
    draft: definition,
    published: null,
    latest: 0,
    updatedAt: new Date().toISOString(),
    updatedBy: request.user.username,
  })
  await audit.record('procedure.created', code, { name: definition.name.vi })
  return { status: 201, body: made }
}

export async function show (request) {
  const { code } = request.params
  const mine = await own(code)
  const serves = await serving(code)
  if (serves === null && (mine === null || !isAdmin(request))) return notFound(request, 'thủ tục', 'procedure')
  const current = serves === null ? null : await version(code, serves.published, serves._tenant)
  return {
    code,
    unit: serves?._tenant ?? request.tenant,
    inherited: serves !== null && serves._tenant !== request.tenant,
    published: current === null ? null : { ...current, jsonSchema: toJsonSchema(current.form) },
    ...(mine !== null && isAdmin(request) ? { draft: mine.draft, latest: mine.latest, publishedHere: mine.published } : {}),
  }
}

export async function saveDraft (request) {
  const mine = await own(request.params.code)
  if (mine === null) return notFound(request, 'thủ tục', 'procedure')
  const problems = checkDefinition(request.body)
  if (problems.length > 0) return invalidDefinition(request, problems)
  const draft = definitionOf(request.body)
  return procedures.update(mine._id, { draft, name: draft.name, sector: draft.sector, updatedAt: new Date().toISOString(), updatedBy: request.user.username })
}

/**
 * Publishes the draft as the next version (immutable from then on), or, with `{version}`, makes an earlier version
 * the published one again. Dossiers keep the version they were filed under either way.
 */
export async function publish (request) {
  const mine = await own(request.params.code)
  if (mine === null) return notFound(request, 'thủ tục', 'procedure')
  const at = new Date().toISOString()
  if (request.body.version !== undefined) {
    const earlier = await version(mine.code, request.body.version, request.tenant)
    if (earlier === null) return notFound(request, 'phiên bản', 'version')
    await procedures.update(mine._id, { published: earlier.version }, { expect: { latest: mine.latest } })
    await audit.record('procedure.republished', mine.code, { version: earlier.version })
    await events.publish('procedure.published', { code: mine.code, version: earlier.version, name: earlier.name, workflow: workflowEvent(earlier.workflow) })
    return { code: mine.code, published: earlier.version }
  }
  if (mine.draft === null) return fail(request, 409, 'PROCEDURES_NO_DRAFT', 'Không có bản nháp để công bố', 'There is no draft to publish')
  const number = mine.latest + 1
  // The version and the procedure's pointer land together; of two administrators publishing at once, one wins.
  const done = await storage.batch([
    { op: 'update', collection: 'procedures', id: mine._id, patch: { latest: number, published: number }, expect: { latest: mine.latest } },
    { op: 'insert', collection: 'versions', doc: { ...mine.draft, code: mine.code, version: number, unit: request.tenant, publishedAt: at, publishedBy: request.user.username } },
  ])
  if (done === null) return fail(request, 409, 'PROCEDURES_CHANGED', 'Thủ tục vừa được công bố bởi người khác', 'Someone else published this procedure just now')
  await audit.record('procedure.published', mine.code, { version: number })
  await events.publish('procedure.published', { code: mine.code, version: number, name: mine.draft.name, workflow: workflowEvent(mine.draft.workflow) })
  return { status: 201, body: { code: mine.code, published: number } }
}

export async function listVersions (request) {
  const serves = await serving(request.params.code)
  const mine = await own(request.params.code)
  const unit = mine !== null ? request.tenant : serves?._tenant
  if (unit === undefined) return notFound(request, 'thủ tục', 'procedure')
  const rows = await storage.collection('versions', { scope: 'lineage' }).find({ code: request.params.code, unit }, { limit: 1000, sort: '-version' })
  return { items: rows.map(({ code, version, name, publishedAt, publishedBy }) => ({ code, version, name, publishedAt, publishedBy })) }
}

export async function showVersion (request) {
  const number = Number(request.params.version)
  const serves = await serving(request.params.code)
  const mine = await own(request.params.code)
  const unit = mine !== null ? request.tenant : serves?._tenant
  const found = unit === undefined || !Number.isInteger(number) ? null : await version(request.params.code, number, unit)
  if (found === null) return notFound(request, 'phiên bản', 'version')
  return { ...found, jsonSchema: toJsonSchema(found.form) }
}

// ---- dossiers -----------------------------------------------------------------------------------------------------

/** A receipt code people can read out over the phone: unit, date, six letters and digits (1 in a billion to repeat). */
function receiptCode (tenant) {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '')
  const letters = Array.from({ length: 6 }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[Math.floor(Math.random() * 32)]).join('')
  return `${tenant.toUpperCase()}-${day}-${letters}`
}

/** Who filed: the officer's inbox and the reports search the name ignoring case and marks. */
const applicantOf = (request) => ({ username: request.user.username, name: request.user.displayName })

export async function upload (request) {
  return { status: 201, body: { files: request.files.map(({ id, name, type, size, field }) => ({ id, name, type, size, field })) } }
}

export async function file (request) {
  const { procedure: code, data, draft = false } = request.body
  const serves = await serving(code)
  if (serves === null) return notFound(request, 'thủ tục', 'procedure')
  const pinned = await version(code, serves.published, serves._tenant)
  if (pinned === null) return notFound(request, 'thủ tục', 'procedure')
  if (!draft) {
    const errors = checkData(pinned.form, data, isUnit)
    if (errors.length > 0) return invalidData(request, errors)
  }
  const attached = filesOf(pinned.form, data)
  for (const upload of attached) {
    // (A draft's data is not checked: its file ids may be anything.)
    const known = await files.info(upload?.id).catch(() => null)
    if (known === null) return invalidData(request, [{ field: '', code: 'file', message: { vi: 'Tệp đính kèm không còn trên máy chủ: hãy tải lên lại', en: 'An attachment is no longer on the server: upload it again' } }])
    await files.keep(upload.id)
  }
  const now = new Date()
  const receipt = receiptCode(request.tenant)
  const initial = pinned.workflow.initial
  // The deadline's timer first, so the dossier is written once with all it holds: five host calls in all.
  const deadline = draft ? { due: null, timer: null } : await deadlineIn(pinned, initial, true, receipt, 0)
  const dossier = await dossiers.insert({
    receipt,
    procedure: { code, version: pinned.version, unit: serves._tenant, name: pinned.name },
    data,
    status: draft ? 'draft' : 'filed',
    state: draft ? 'draft' : initial,
    waiting: draft ? null : waitingFor(pinned.workflow, initial),
    applicant: applicantOf(request),
    createdAt: now.toISOString(),
    filedAt: draft ? null : now.toISOString(),
    filedMonth: draft ? null : now.toISOString().slice(0, 7),
    overdue: 0,
    revision: 0,
    ...deadline,
  })
  if (!draft) {
    await recordStep(dossier, request, null, null)
    await events.publish('dossier.filed', dossierEvent(dossier))
  }
  return { status: 201, body: dossier }
}

/**
 * The deadline of a dossier entering `state` (its own days, or the procedure's time limit for the first state), with
 * the timer that marks it overdue if it still has this revision then; none at a final state.
 */
async function deadlineIn (pinned, stateName, first, receipt, revision) {
  const state = stateOf(pinned.workflow, stateName)
  const days = state?.deadlineDays ?? (first ? pinned.timeLimitDays : null)
  if (typeof days !== 'number' || state?.outcome !== undefined) return { due: null, timer: null }
  const due = new Date(Date.now() + days * DAY).toISOString()
  return { due, timer: await timers.at(due, 'deadline', { receipt, revision }) }
}

/** A step in the dossier's history: who, when, from and to which state, with the comment and the signature. */
function recordStep (dossier, request, from, extra) {
  return history.insert({
    dossier: dossier._id,
    at: new Date().toISOString(),
    by: request.user?.username ?? null,
    from,
    to: dossier.state,
    action: extra?.action ?? 'file',
    comment: extra?.comment ?? null,
    signature: extra?.signature ?? null,
  })
}

/** The dossier, if the caller may see it: its applicant, or an officer or administrator of the unit. */
async function visibleDossier (request) {
  const dossier = await dossiers.get(request.params.id)
  if (dossier === null) return null
  if (dossier.applicant.username !== request.user.username && !isOfficer(request)) return null
  return dossier
}

export async function listDossiers (request) {
  const { q, state, after } = request.query
  const mine = request.query.view === 'mine' || !isOfficer(request)
  /** @type {Record<string, unknown>} */
  const filter = mine ? { 'applicant.username': request.user.username } : { status: 'filed' }
  if (typeof state === 'string') filter.state = state
  if (typeof q === 'string' && q.trim() !== '') {
    // A receipt code as given, or words of the applicant's name ignoring case and marks ("nguyen" finds "Nguyễn").
    filter.$or = [{ receipt: q.trim().toUpperCase() }, { 'applicant.name': { $search: q } }]
  }
  const page = { limit: 50, ...(typeof after === 'string' ? { after } : {}) }
  if (mine) return { items: await dossiers.find(filter, page) }
  // An officer's inbox: what waits for an action of their roles, in the order it was filed (paged with `after`),
  // and apart, first, the overdue ones, most overdue first. Two indexed queries, never a sort of the whole queue.
  if (typeof state !== 'string') filter.waiting = { $in: waitingKeys(roles(request).filter((role) => role !== 'applicant')) }
  // By deadline: a few rows, sorted once the index found them (in creation order the planner may walk them all).
  const overdue = typeof after === 'string' ? [] : await dossiers.find({ ...filter, overdue: 1 }, { limit: 50, sort: 'due' })
  const items = await dossiers.find({ ...filter, overdue: 0 }, page)
  return { overdue, items, next: items.length === page.limit ? items.at(-1)._id : null }
}

export async function showDossier (request) {
  const dossier = await visibleDossier(request)
  if (dossier === null) return notFound(request)
  const pinned = await version(dossier.procedure.code, dossier.procedure.version, dossier.procedure.unit)
  const steps = await history.find({ dossier: dossier._id }, { limit: 1000 })
  const withLinks = await Promise.all(steps.map(async (step) => step.signature === null
    ? step
    : { ...step, signature: { ...step.signature, url: await files.url(step.signature.file), contentUrl: await files.url(step.signature.content) } }))
  const attachments = await Promise.all(filesOf(pinned.form, dossier.data).map(async (f) => ({ ...f, url: await files.url(f.id, { expiresIn: 600 }) })))
  const actor = { roles: roles(request), applicant: dossier.applicant.username === request.user.username }
  const result = dossier.result === undefined
    ? null
    : { ...dossier.result, url: await files.url(dossier.result.file), contentUrl: await files.url(dossier.result.content) }
  return {
    ...dossier,
    result,
    version: { version: pinned.version, name: pinned.name, form: pinned.form, workflow: pinned.workflow },
    history: withLinks,
    attachments,
    actions: dossier.status === 'filed' ? allowedTransitions(pinned.workflow, dossier.state, actor).map(({ action, label, to, requireSignature = false, requireComment = false }) => ({ action, label, to, requireSignature, requireComment })) : [],
  }
}

export async function saveDossier (request) {
  const dossier = await visibleDossier(request)
  if (dossier === null || dossier.applicant.username !== request.user.username) return notFound(request)
  const saved = await dossiers.update(dossier._id, { data: request.body.data }, { expect: { status: 'draft' } })
  if (saved === null) return fail(request, 409, 'PROCEDURES_FILED', 'Hồ sơ đã nộp, không sửa được nữa', 'The dossier was filed: it can no longer be changed')
  return saved
}

export async function submit (request) {
  const dossier = await visibleDossier(request)
  if (dossier === null || dossier.applicant.username !== request.user.username) return notFound(request)
  const pinned = await version(dossier.procedure.code, dossier.procedure.version, dossier.procedure.unit)
  const errors = checkData(pinned.form, dossier.data, isUnit)
  if (errors.length > 0) return invalidData(request, errors)
  for (const upload of filesOf(pinned.form, dossier.data)) await files.keep(upload.id)
  const now = new Date().toISOString()
  const initial = pinned.workflow.initial
  const deadline = await deadlineIn(pinned, initial, true, dossier.receipt, dossier.revision)
  const filed = await dossiers.update(dossier._id, {
    status: 'filed', state: initial, waiting: waitingFor(pinned.workflow, initial), filedAt: now, filedMonth: now.slice(0, 7), ...deadline,
  }, { expect: { status: 'draft' } })
  if (filed === null) {
    if (deadline.timer !== null) await timers.cancel(deadline.timer)
    return fail(request, 409, 'PROCEDURES_FILED', 'Hồ sơ đã nộp rồi', 'The dossier was filed already')
  }
  await recordStep(filed, request, null, null)
  await events.publish('dossier.filed', dossierEvent(filed))
  return filed
}

/** What an actor signs for a transition: the dossier as it stands and the step, as canonical JSON (RFC 8785, NFC). */
const signingContent = (dossier, transition, actor) => ({
  dossier: { id: dossier._id, receipt: dossier.receipt, procedure: dossier.procedure, data: dossier.data, state: dossier.state, revision: dossier.revision },
  transition: { from: transition.from, action: transition.action, to: transition.to, by: actor },
})

/** The transition `action` from the dossier's state, if the caller may take it. */
async function transitionFor (request, dossier, action) {
  const pinned = await version(dossier.procedure.code, dossier.procedure.version, dossier.procedure.unit)
  const actor = { roles: roles(request), applicant: dossier.applicant.username === request.user.username }
  const transition = allowedTransitions(pinned.workflow, dossier.state, actor).find((t) => t.action === action)
  return { pinned, transition }
}

export async function signing (request) {
  const dossier = await visibleDossier(request)
  if (dossier === null || dossier.status !== 'filed') return notFound(request)
  const { transition } = await transitionFor(request, dossier, request.query.action)
  if (transition === undefined) return fail(request, 409, 'PROCEDURES_NOT_ALLOWED', 'Bạn không thể thực hiện thao tác này ở bước hiện tại', 'You cannot take this action at this step')
  const content = signingContent(dossier, transition, request.user.username)
  return { content, canonical: canonicalJson(content) }
}

/**
 * Takes an action on a dossier: allowed to the caller's roles from its state, with a comment and a verified signature
 * where the step asks, written only over the revision the caller saw (of two officers acting at once, one wins).
 */
export async function act (request) {
  const { action, comment = null, signature: signed = null } = request.body
  const dossier = await visibleDossier(request)
  if (dossier === null || dossier.status !== 'filed') return notFound(request)
  const { pinned, transition } = await transitionFor(request, dossier, action)
  if (transition === undefined) return fail(request, 409, 'PROCEDURES_NOT_ALLOWED', 'Bạn không thể thực hiện thao tác này ở bước hiện tại', 'You cannot take this action at this step')
  if (transition.requireComment === true && (typeof comment !== 'string' || comment.trim() === '')) {
    return invalidData(request, [{ field: 'comment', code: 'required', message: { vi: 'Bước này cần ý kiến xử lý', en: 'This step needs a comment' } }])
  }
  let signatureRecord = null
  if (transition.requireSignature === true) {
    if (typeof signed !== 'string' || signed === '') return invalidData(request, [{ field: 'signature', code: 'required', message: { vi: 'Bước này cần chữ ký số', en: 'This step needs a digital signature' } }])
    const content = signingContent(dossier, transition, request.user.username)
    const check = await signature.verify({ signature: signed, content, signer: 'current-user' })
    if (!check.ok) return fail(request, 422, check.code, SIGNATURE_FAILURES[check.code] ?? check.message, check.message)
    // The exact bytes signed and the signature, kept for anyone to check offline (openssl cms -verify).
    const base = `${dossier.receipt}-${transition.action}`.toLowerCase()
    const signatureFile = await files.create({ name: `${base}.p7s`, type: 'application/pkcs7-signature', content: signed, encoding: 'base64' })
    const contentFile = await files.create({ name: `${base}.json`, type: 'application/json', content: canonicalJson(content) })
    signatureRecord = { file: signatureFile.id, content: contentFile.id, signer: check.signer, signingTime: check.signingTime }
  }
  const to = stateOf(pinned.workflow, transition.to)
  const at = new Date().toISOString()
  const deadline = await deadlineIn(pinned, transition.to, false, dossier.receipt, dossier.revision + 1)
  const patch = {
    state: transition.to,
    waiting: waitingFor(pinned.workflow, transition.to),
    revision: dossier.revision + 1,
    stateSince: at,
    overdue: 0,
    ...deadline,
    ...(to.outcome === undefined ? {} : { outcome: to.outcome, decidedAt: at }),
  }
  const moved = await dossiers.update(dossier._id, patch, { expect: { state: dossier.state, revision: dossier.revision } })
  if (moved === null) {
    if (deadline.timer !== null) await timers.cancel(deadline.timer)
    if (signatureRecord !== null) { await files.remove(signatureRecord.file); await files.remove(signatureRecord.content) }
    return fail(request, 409, 'PROCEDURES_CHANGED', 'Hồ sơ vừa được người khác xử lý: hãy tải lại', 'Someone else acted on this dossier just now: reload it')
  }
  if (typeof dossier.timer === 'string') await timers.cancel(dossier.timer)
  await recordStep(moved, request, dossier.state, { action, comment, signature: signatureRecord })
  if (to.outcome === 'approved') await sealResult(request, moved)
  await audit.record(`dossier.${action}`, dossier.receipt, { from: dossier.state, to: transition.to })
  await events.publish('dossier.moved', { ...dossierEvent(moved), from: dossier.state, to: transition.to, action, comment, at, outcome: to.outcome ?? null })
  return showDossier(request)
}

/** The result of an approved dossier, sealed by the unit (when it has a seal): the decision and what was decided. */
async function sealResult (request, dossier) {
  const content = { receipt: dossier.receipt, procedure: dossier.procedure, applicant: dossier.applicant, data: dossier.data, outcome: 'approved', decidedAt: dossier.decidedAt, unit: request.tenant }
  let sealed
  try {
    sealed = await signature.seal(content)
  } catch (error) {
    if (error?.name === 'NotFound') return
    throw error
  }
  const base = `ket-qua-${dossier.receipt}`.toLowerCase()
  const signatureFile = await files.create({ name: `${base}.p7s`, type: 'application/pkcs7-signature', content: sealed.signature, encoding: 'base64' })
  const contentFile = await files.create({ name: `${base}.json`, type: 'application/json', content: canonicalJson(content) })
  await dossiers.update(dossier._id, { result: { file: signatureFile.id, content: contentFile.id, signingTime: sealed.signingTime } })
}

// Timer: a dossier still in the state it was in when its deadline was set is now overdue.
export async function deadline (request) {
  const { receipt, revision } = request.body
  const [dossier] = await dossiers.find({ receipt }, { limit: 1 })
  if (dossier !== undefined) await dossiers.update(dossier._id, { overdue: 1 }, { expect: { revision } })
  return { ok: true }
}

// ---- reports ------------------------------------------------------------------------------------------------------

/** What is wrong with a report's definition. */
function checkReport (report) {
  const problems = []
  if (report === null || typeof report !== 'object') return [{ path: '', message: 'a report is {name, groupBy, metrics}' }]
  if (report.name !== undefined && (typeof report.name !== 'string' || report.name.length > 100)) problems.push({ path: 'name', message: 'at most 100 characters' })
  const groupBy = report.groupBy ?? []
  if (!Array.isArray(groupBy) || groupBy.length > 3 || groupBy.some((g) => typeof g !== 'string' || !(GROUPS.includes(g) || /^data\.[a-zA-Z][a-zA-Z0-9_]{0,39}$/.test(g)))) {
    problems.push({ path: 'groupBy', message: `up to 3 of ${GROUPS.join(', ')} or data.<field>` })
  }
  const metrics = report.metrics ?? { count: { op: 'count' } }
  if (metrics === null || typeof metrics !== 'object' || Object.keys(metrics).length === 0 || Object.keys(metrics).length > 10) problems.push({ path: 'metrics', message: '1 to 10 metrics' })
  else {
    for (const [name, metric] of Object.entries(metrics)) {
      if (!/^[a-zA-Z][a-zA-Z0-9_]{0,39}$/.test(name)) problems.push({ path: `metrics.${name}`, message: 'a metric is named with letters, digits and _' })
      else if (metric?.op === 'overdueShare') continue
      else if (!METRICS.includes(metric?.op)) problems.push({ path: `metrics.${name}.op`, message: `one of ${METRICS.join(', ')}, overdueShare` })
      else if (metric.op !== 'count' && (typeof metric.field !== 'string' || !/^data\.[a-zA-Z][a-zA-Z0-9_]{0,39}$/.test(metric.field))) problems.push({ path: `metrics.${name}.field`, message: 'data.<field>' })
    }
  }
  return problems
}

/** The dossiers a report reads: filed ones, of one procedure or all, with the report's own conditions. */
function reportFilter (body) {
  /** @type {Record<string, unknown>} */
  const filter = { status: 'filed' }
  if (typeof body.procedure === 'string') filter['procedure.code'] = body.procedure
  if (typeof body.state === 'string') filter.state = body.state
  if (typeof body.from === 'string' || typeof body.to === 'string') {
    filter.filedAt = { ...(typeof body.from === 'string' ? { $gte: body.from } : {}), ...(typeof body.to === 'string' ? { $lt: body.to } : {}) }
  }
  if (typeof body.applicant === 'string' && body.applicant.trim() !== '') filter['applicant.name'] = { $search: body.applicant }
  return filter
}

/** Reports are for the unit's officers and administrators. */
const forbidden = (request) => fail(request, 403, 'PROCEDURES_FORBIDDEN', 'Chỉ cán bộ và quản trị của đơn vị xem được báo cáo', 'Only the unit\'s officers and administrators see reports')

export async function runReport (request) {
  if (!isOfficer(request)) return forbidden(request)
  const problems = checkReport(request.body)
  if (problems.length > 0) return invalidDefinition(request, problems)
  const groupBy = request.body.groupBy ?? []
  const asked = request.body.metrics ?? { count: { op: 'count' } }
  // The overdue share is a sum of 0/1 flags over a count.
  const metrics = { _n: { op: 'count' } }
  for (const [name, metric] of Object.entries(asked)) metrics[name] = metric.op === 'overdueShare' ? { op: 'sum', field: 'overdue' } : metric
  const source = request.body.scope === 'subtree' ? storage.collection('dossiers', { scope: 'subtree' }) : dossiers
  const rows = await source.aggregate({ groupBy, metrics, filter: reportFilter(request.body) })
  return {
    columns: [...groupBy, ...Object.keys(asked)],
    rows: rows.map((row) => {
      const out = {}
      for (const g of groupBy) out[g] = row[g]
      for (const [name, metric] of Object.entries(asked)) out[name] = metric.op === 'overdueShare' ? (row._n === 0 ? 0 : (row[name] ?? 0) / row._n) : row[name]
      return out
    }),
  }
}

export async function exportReport (request) {
  if (!isOfficer(request)) return forbidden(request)
  const columns = [
    { field: 'receipt', title: 'Mã hồ sơ' }, { field: 'procedure.code', title: 'Thủ tục' }, { field: 'applicant.name', title: 'Người nộp' },
    { field: 'filedAt', title: 'Ngày nộp' }, { field: 'state', title: 'Trạng thái' }, { field: 'overdue', title: 'Quá hạn' },
  ]
  const started = await exports.start({
    collection: 'dossiers',
    scope: request.body.scope === 'subtree' ? 'subtree' : 'tenant',
    filter: reportFilter(request.body),
    columns,
    format: request.body.format ?? 'xlsx',
    name: `bao-cao-ho-so-${request.tenant}`,
  })
  return { status: 202, body: started }
}

export async function exportStatus (request) {
  if (!isOfficer(request)) return forbidden(request)
  const status = await exports.status(request.params.id)
  if (status === null) return notFound(request, 'tệp xuất', 'export')
  return { ...status, url: status.file === null ? null : await files.url(status.file.id) }
}

// ---- canonical JSON -----------------------------------------------------------------------------------------------

/**
 * RFC 8785 (JCS) over NFC-normalised strings: what `signature.verify` and `crypto.digest` canonicalise on the host,
 * given here as text so that a signer signs exactly these bytes (UTF-8).
 */
export function canonicalJson (value) {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('not JSON: a number that is not finite')
    return JSON.stringify(value)
  }
  if (typeof value === 'string') return JSON.stringify(value.normalize('NFC'))
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const keys = Object.keys(value).filter((key) => value[key] !== undefined).map((key) => [key.normalize('NFC'), key])
  // Keys sorted by their UTF-16 code units, as RFC 8785 orders them.
  keys.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${keys.map(([name, key]) => `${JSON.stringify(name)}:${canonicalJson(value[key])}`).join(',')}}`
}

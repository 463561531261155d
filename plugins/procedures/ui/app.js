// The procedures' pages for people and officers: the procedures serving this unit, filing a dossier (the form drawn
// from the published version, checked here by the same form.js the server checks with, files uploaded as chosen),
// one's own dossiers, an officer's inbox, a dossier with its history and the actions the user may take, and reports
// with a chart and an Excel export. Every call goes through the plugin's HTTP API as the signed-in user (page.fetch).
import { page } from './nentang-page.js'
import { checkData, fieldsOf } from './form.js'
import { PROVINCES, unitOf } from './units.js'

const TEXT = {
  vi: {
    catalogue: 'Thủ tục',
    mine: 'Hồ sơ của tôi',
    inbox: 'Hộp việc',
    reports: 'Báo cáo',
    language: 'English',
    hello: 'Xin chào',
    signedOut: 'Chưa đăng nhập',
    loading: 'Đang tải…',
    none: 'Chưa có gì.',
    inherited: 'do {unit} ban hành',
    file: 'Nộp hồ sơ',
    saveDraft: 'Lưu nháp',
    filed: 'Đã nộp hồ sơ {receipt}',
    notFiled: 'Hồ sơ chưa nộp được: {message}',
    errors: 'Hồ sơ có {n} lỗi, xem từng trường bên dưới.',
    uploading: 'Đang tải lên…',
    uploaded: 'Đã tải lên: {names}',
    province: 'Tỉnh, thành phố',
    commune: 'Xã, phường',
    choose: '— chọn —',
    addRow: 'Thêm dòng',
    removeRow: 'Xoá dòng',
    yes: 'Có',
    no: 'Không',
    receipt: 'Mã hồ sơ',
    procedure: 'Thủ tục',
    applicant: 'Người nộp',
    state: 'Trạng thái',
    filedAt: 'Ngày nộp',
    overdue: 'Quá hạn',
    search: 'Tìm theo mã hồ sơ hoặc tên người nộp',
    find: 'Tìm',
    waiting: 'Đang chờ xử lý',
    history: 'Quá trình xử lý',
    attachments: 'Tệp đính kèm',
    result: 'Kết quả',
    signature: 'Chữ ký số',
    signedBytes: 'nội dung đã ký',
    comment: 'Ý kiến xử lý',
    signFile: 'Tệp chữ ký (.p7s) của nội dung cần ký',
    contentToSign: 'Tải nội dung cần ký',
    done: 'Đã thực hiện: {action}',
    failed: 'Không thực hiện được: {message}',
    groupBy: 'Nhóm theo',
    metric: 'Chỉ tiêu',
    run: 'Xem báo cáo',
    subtree: 'Gồm các đơn vị cấp dưới',
    count: 'Số hồ sơ',
    sumOf: 'Tổng {field}',
    export: 'Xuất Excel',
    exporting: 'Đang xuất…',
    download: 'Tải {name} ({rows} hồ sơ)',
    unit: 'Đơn vị',
    month: 'Tháng',
    version: 'phiên bản {n}',
    by: 'bởi',
    next: 'Trang sau',
    draft: 'Nháp',
  },
  en: {
    catalogue: 'Procedures',
    mine: 'My dossiers',
    inbox: 'Inbox',
    reports: 'Reports',
    language: 'Tiếng Việt',
    hello: 'Hello',
    signedOut: 'Not signed in',
    loading: 'Loading…',
    none: 'Nothing yet.',
    inherited: 'issued by {unit}',
    file: 'File the dossier',
    saveDraft: 'Save draft',
    filed: 'Dossier {receipt} filed',
    notFiled: 'The dossier was not filed: {message}',
    errors: 'The dossier has {n} error(s); see each field below.',
    uploading: 'Uploading…',
    uploaded: 'Uploaded: {names}',
    province: 'Province or city',
    commune: 'Commune or ward',
    choose: '— choose —',
    addRow: 'Add a row',
    removeRow: 'Remove the row',
    yes: 'Yes',
    no: 'No',
    receipt: 'Receipt',
    procedure: 'Procedure',
    applicant: 'Applicant',
    state: 'State',
    filedAt: 'Filed',
    overdue: 'Overdue',
    search: 'Search by receipt or applicant name',
    find: 'Search',
    waiting: 'Waiting',
    history: 'History',
    attachments: 'Attachments',
    result: 'Result',
    signature: 'Digital signature',
    signedBytes: 'signed content',
    comment: 'Comment',
    signFile: 'Signature file (.p7s) of the content to sign',
    contentToSign: 'Download the content to sign',
    done: 'Done: {action}',
    failed: 'Could not do it: {message}',
    groupBy: 'Group by',
    metric: 'Measure',
    run: 'Show the report',
    subtree: 'Include the units below',
    count: 'Dossiers',
    sumOf: 'Sum of {field}',
    export: 'Export to Excel',
    exporting: 'Exporting…',
    download: 'Download {name} ({rows} dossiers)',
    unit: 'Unit',
    month: 'Month',
    version: 'version {n}',
    by: 'by',
    next: 'Next page',
    draft: 'Draft',
  },
}
let lang = 'vi'
const t = (key, params = {}) => TEXT[lang][key].replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''))
const pick = (label) => (label === null || label === undefined ? '' : typeof label === 'string' ? label : label[lang] ?? label.vi)

/** An element: `el('p', {class: 'help'}, 'text', child)`; `on*` attributes are listeners. */
function el (tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value)
    else if (value === true) node.setAttribute(name, '')
    else node.setAttribute(name, String(value))
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child))
  return node
}
const $ = (id) => document.getElementById(id)
const status = (text) => { $('status').textContent = text }

class ApiError extends Error {
  constructor (status, body) {
    super(body?.error?.message ?? `HTTP ${status}`)
    this.status = status
    this.body = body
  }
}
async function api (path, init = {}) {
  const headers = { 'accept-language': lang, ...(init.body !== undefined && !(init.body instanceof FormData) ? { 'content-type': 'application/json' } : {}), ...init.headers }
  const body = init.body === undefined || init.body instanceof FormData ? init.body : JSON.stringify(init.body)
  const response = await page.fetch(path, { ...init, headers, body })
  const answer = response.status === 204 ? null : await response.json()
  if (!response.ok) throw new ApiError(response.status, answer)
  return answer
}
const isOfficer = () => (page.user?.roles ?? []).some((role) => role === 'officer' || role === 'tenant-admin')
const date = (iso) => (iso ? new Date(iso).toLocaleDateString(lang === 'vi' ? 'vi-VN' : 'en-GB') : '')

// ---- views --------------------------------------------------------------------------------------------------------

async function catalogue (view) {
  const { items } = await api('/procedures')
  view.append(el('h1', {}, t('catalogue')))
  if (items.length === 0) view.append(el('p', {}, t('none')))
  view.append(el('ul', {}, items.filter((p) => p.published !== null).map((p) => el('li', {},
    el('a', { href: `#/file/${p.code}` }, pick(p.name)), p.inherited ? el('span', { class: 'help' }, ` (${t('inherited', { unit: p.unit })})`) : null))))
}

/** The filing page: the published form, checked here as the server checks it, then filed. */
async function filing (view, code) {
  const procedure = await api(`/procedures/${encodeURIComponent(code)}`)
  const version = procedure.published
  const form = version.form
  const uploads = new Map()
  view.append(el('h1', {}, pick(version.name)), el('p', { class: 'help' }, t('version', { n: version.version })))
  const formNode = el('form', { novalidate: true })
  const summary = el('p', { class: 'error', role: 'alert' })
  const fieldNodes = new Map()
  for (const section of form.sections) {
    formNode.append(el('fieldset', {}, el('legend', {}, pick(section.title)), section.fields.map((field) => fieldNode(field, '', uploads, fieldNodes))))
  }
  const submit = async (draft) => {
    const data = collect(fieldsOf(form), '', uploads)
    const errors = draft ? [] : checkData(form, data, (unit) => unitOf(unit) !== undefined)
    show(errors)
    if (errors.length > 0) return
    try {
      const dossier = await api('/dossiers', { method: 'POST', body: { procedure: code, data, ...(draft ? { draft: true } : {}) } })
      status(t('filed', { receipt: dossier.receipt }))
      location.hash = `#/dossier/${dossier._id}`
    } catch (error) {
      show(error.body?.error?.fields ?? [])
      if (!error.body?.error?.fields) summary.textContent = t('notFiled', { message: error.message })
    }
  }
  const show = (errors) => {
    for (const { input, error } of fieldNodes.values()) { error.textContent = ''; input?.removeAttribute('aria-invalid') }
    summary.textContent = errors.length === 0 ? '' : t('errors', { n: errors.length })
    for (const problem of errors) {
      const node = fieldNodes.get(problem.field.replace(/\[\d+\]\..*$/, ''))
      if (node === undefined) continue
      node.error.textContent = [node.error.textContent, problem.message[lang] ?? problem.message.vi].filter(Boolean).join('; ')
      node.input?.setAttribute('aria-invalid', 'true')
    }
    if (errors.length > 0) fieldNodes.get(errors[0].field.replace(/\[\d+\]\..*$/, ''))?.input?.focus()
  }
  formNode.addEventListener('submit', (event) => { event.preventDefault(); void submit(false) })
  formNode.addEventListener('change', () => applyConditions(fieldsOf(form), fieldNodes, collect(fieldsOf(form), '', uploads)))
  formNode.append(summary, el('div', {}, el('button', { type: 'submit' }, t('file')), ' ', el('button', { type: 'button', onclick: () => { void submit(true) } }, t('saveDraft'))))
  view.append(formNode)
  applyConditions(fieldsOf(form), fieldNodes, {})
}

/** One field's label, input and error line. */
function fieldNode (field, prefix, uploads, fieldNodes) {
  const id = `f-${prefix}${field.name}`
  const error = el('p', { class: 'error', id: `${id}-error`, 'aria-live': 'polite' })
  const help = field.help ? el('p', { class: 'help', id: `${id}-help` }, pick(field.help)) : null
  const described = [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(' ')
  const common = { id, name: prefix + field.name, 'aria-describedby': described, required: field.required === true }
  const label = pick(field.label) + (field.required ? ' *' : '')
  let input
  let body
  switch (field.type) {
    case 'longtext': input = el('textarea', { ...common, rows: 4, maxlength: field.maxLength }); break
    case 'number': case 'money': input = el('input', { ...common, type: 'number', inputmode: 'numeric', step: field.type === 'money' ? 1 : 'any', min: field.min, max: field.max }); break
    case 'date': input = el('input', { ...common, type: 'date' }); break
    case 'choice': input = el('select', common, el('option', { value: '' }, t('choose')), field.options.map((o) => el('option', { value: o.value }, pick(o.label)))); break
    case 'multichoice':
      body = el('fieldset', { id, 'aria-describedby': described }, el('legend', {}, label), field.options.map((o) => el('label', {}, el('input', { type: 'checkbox', name: prefix + field.name, value: o.value }), pick(o.label))))
      break
    case 'yesno':
      body = el('fieldset', { id, 'aria-describedby': described }, el('legend', {}, label),
        el('label', {}, el('input', { type: 'radio', name: prefix + field.name, value: 'true' }), t('yes')),
        el('label', {}, el('input', { type: 'radio', name: prefix + field.name, value: 'false' }), t('no')))
      break
    case 'file': {
      input = el('input', { ...common, type: 'file', accept: field.accept.join(','), multiple: (field.maxItems ?? 1) > 1 })
      const shown = el('p', { class: 'help', 'aria-live': 'polite' })
      input.addEventListener('change', async () => {
        const chosen = [...input.files]
        if (chosen.length === 0) return
        shown.textContent = t('uploading')
        const body = new FormData()
        for (const file of chosen) body.append(field.name, file, file.name)
        try {
          const { files } = await api('/uploads', { method: 'POST', body })
          uploads.set(prefix + field.name, files.map(({ id, name, type, size }) => ({ id, name, type, size })))
          shown.textContent = t('uploaded', { names: files.map((f) => f.name).join(', ') })
        } catch (failure) {
          uploads.delete(prefix + field.name)
          shown.textContent = ''
          error.textContent = failure.message
        }
      })
      body = el('div', {}, el('label', { for: id }, label), input, shown)
      break
    }
    case 'unit': {
      const province = el('select', { id: `${id}-province`, 'aria-label': `${pick(field.label)}: ${t('province')}` }, el('option', { value: '' }, t('choose')), PROVINCES.map((p) => el('option', { value: p.code }, p.name)))
      input = el('select', { ...common, 'aria-label': `${pick(field.label)}: ${t('commune')}` }, el('option', { value: '' }, t('choose')))
      province.addEventListener('change', () => {
        const chosen = PROVINCES.find((p) => p.code === province.value)
        input.replaceChildren(el('option', { value: '' }, t('choose')), ...(chosen?.communes ?? []).map((c) => el('option', { value: c.code }, c.name)))
      })
      body = el('fieldset', { 'aria-describedby': described }, el('legend', {}, label), el('label', {}, t('province'), province), el('label', {}, t('commune'), input))
      break
    }
    case 'group': {
      const rows = el('div', { class: 'rows' })
      const add = () => {
        const index = rows.children.length
        const inner = new Map()
        const row = el('fieldset', { class: 'row' }, el('legend', {}, `${pick(field.label)} ${index + 1}`), field.fields.map((child) => fieldNode(child, `${prefix}${field.name}[${index}].`, uploads, inner)))
        row.append(el('button', { type: 'button', onclick: () => row.remove() }, t('removeRow')))
        rows.append(row)
      }
      body = el('fieldset', { id, 'aria-describedby': described }, el('legend', {}, label), rows, el('button', { type: 'button', onclick: add }, t('addRow')))
      if ((field.minItems ?? 0) > 0) for (let i = 0; i < field.minItems; i++) add()
      break
    }
    default: input = el('input', { ...common, type: 'text', maxlength: field.maxLength })
  }
  const wrapper = el('div', { class: 'field', 'data-field': prefix + field.name }, body ?? el('label', { for: id }, label), body ? null : input, help, error)
  fieldNodes.set(prefix + field.name, { wrapper, input: input ?? body, error, field })
  return wrapper
}

/** What the form holds, typed as the form says. */
function collect (fields, prefix, uploads) {
  const data = {}
  for (const field of fields) {
    const name = prefix + field.name
    const wrapper = document.querySelector(`[data-field="${CSS.escape(name)}"]`)
    if (wrapper === null || wrapper.hidden) continue
    let value
    if (field.type === 'multichoice') value = [...wrapper.querySelectorAll('input:checked')].map((input) => input.value)
    else if (field.type === 'yesno') { const chosen = wrapper.querySelector('input:checked'); value = chosen === null ? undefined : chosen.value === 'true' } else if (field.type === 'file') { const files = uploads.get(name); value = files === undefined ? undefined : (field.maxItems ?? 1) > 1 ? files : files[0] } else if (field.type === 'unit') { const commune = wrapper.querySelector(`#f-${CSS.escape(name)}`).value; value = commune || wrapper.querySelector('select').value || undefined } else if (field.type === 'group') value = [...wrapper.querySelectorAll(':scope > fieldset > .rows > .row')].map((_, i) => collect(field.fields, `${name}[${i}].`, uploads))
    else {
      const raw = wrapper.querySelector('input, textarea, select').value
      value = raw === '' ? undefined : field.type === 'number' || field.type === 'money' ? Number(raw) : raw
    }
    if (value !== undefined && !(Array.isArray(value) && value.length === 0 && field.type !== 'group')) data[field.name] = value
  }
  return data
}

/** Fields shown only under a condition: hidden (and left out) until it holds. */
function applyConditions (fields, fieldNodes, values) {
  for (const field of fields) {
    if (field.showIf === undefined) continue
    const node = fieldNodes.get(field.name)
    if (node !== undefined) node.wrapper.hidden = values[field.showIf.field] !== field.showIf.equals
  }
}

function dossierTable (items, withApplicant) {
  if (items.length === 0) return el('p', {}, t('none'))
  return el('table', {},
    el('thead', {}, el('tr', {}, el('th', {}, t('receipt')), el('th', {}, t('procedure')), withApplicant ? el('th', {}, t('applicant')) : null, el('th', {}, t('state')), el('th', {}, t('filedAt')))),
    el('tbody', {}, items.map((d) => el('tr', {},
      el('td', {}, el('a', { href: `#/dossier/${d._id}` }, d.receipt)), el('td', {}, pick(d.procedure.name)), withApplicant ? el('td', {}, d.applicant.name) : null,
      el('td', { class: d.overdue === 1 ? 'overdue' : null }, d.status === 'draft' ? t('draft') : d.state, d.overdue === 1 ? ` (${t('overdue')})` : ''), el('td', {}, date(d.filedAt))))))
}

async function mine (view) {
  const { items } = await api('/dossiers?view=mine')
  view.append(el('h1', {}, t('mine')), dossierTable(items, false))
}

async function inbox (view, query) {
  const q = query.get('q') ?? ''
  const answer = await api(`/dossiers?${new URLSearchParams({ ...(q ? { q } : {}), ...(query.get('after') ? { after: query.get('after') } : {}) })}`)
  const search = el('form', { role: 'search', onsubmit: (event) => { event.preventDefault(); location.hash = `#/inbox?${new URLSearchParams({ q: event.target.elements.q.value })}` } },
    el('label', {}, t('search'), el('input', { name: 'q', type: 'search', value: q })), el('button', { type: 'submit' }, t('find')))
  view.append(el('h1', {}, t('inbox')), search)
  if (answer.overdue.length > 0) view.append(el('h2', { class: 'overdue' }, t('overdue')), dossierTable(answer.overdue, true))
  view.append(el('h2', {}, t('waiting')), dossierTable(answer.items, true))
  if (answer.next !== null) view.append(el('a', { href: `#/inbox?${new URLSearchParams({ q, after: answer.next })}` }, t('next')))
}

function showValue (field, value) {
  if (value === undefined || value === null) return ''
  switch (field.type) {
    case 'choice': return pick(field.options.find((o) => o.value === value)?.label) || value
    case 'multichoice': return value.map((v) => pick(field.options.find((o) => o.value === v)?.label) || v).join(', ')
    case 'yesno': return value ? t('yes') : t('no')
    case 'money': return `${Number(value).toLocaleString('vi-VN')} ₫`
    case 'unit': return unitOf(value)?.name ?? value
    case 'file': return (Array.isArray(value) ? value : [value]).map((f) => f.name).join(', ')
    case 'group': return value.map((row) => field.fields.map((f) => `${pick(f.label)}: ${showValue(f, row[f.name])}`).join('; ')).join(' | ')
    default: return String(value)
  }
}

async function dossierPage (view, id) {
  const dossier = await api(`/dossiers/${encodeURIComponent(id)}`)
  const form = dossier.version.form
  view.append(
    el('h1', {}, `${pick(dossier.procedure.name)}: ${dossier.receipt}`),
    el('p', {}, `${t('state')}: `, el('strong', {}, stateLabel(dossier.version.workflow, dossier.state)), dossier.overdue === 1 ? el('span', { class: 'overdue' }, ` (${t('overdue')})`) : null,
      ` · ${t('applicant')}: ${dossier.applicant.name} · ${t('version', { n: dossier.version.version })}`),
    el('table', {}, el('tbody', {}, fieldsOf(form).map((field) => el('tr', {}, el('th', { scope: 'row' }, pick(field.label)), el('td', {}, showValue(field, dossier.data[field.name]))))))
  )
  if (dossier.attachments.length > 0) view.append(el('h2', {}, t('attachments')), el('ul', {}, dossier.attachments.map((f) => el('li', {}, el('a', { href: f.url, download: f.name }, f.name)))))
  if (dossier.result !== null) {
    view.append(el('h2', {}, t('result')), el('p', {}, el('a', { href: dossier.result.url }, `${t('signature')} (.p7s)`), ' · ', el('a', { href: dossier.result.contentUrl }, t('signedBytes'))))
  }
  view.append(el('h2', {}, t('history')), el('ol', { class: 'history' }, dossier.history.map((step) => el('li', {},
    `${date(step.at)}: ${step.from === null ? '' : `${stateLabel(dossier.version.workflow, step.from)} → `}${stateLabel(dossier.version.workflow, step.to)} ${t('by')} ${step.by ?? ''}`,
    step.comment ? ` — “${step.comment}”` : '',
    step.signature ? el('span', {}, ' · ', el('a', { href: step.signature.url }, `${t('signature')} (.p7s)`), ' · ', el('a', { href: step.signature.contentUrl }, t('signedBytes'))) : null))))
  for (const action of dossier.actions) view.append(actionForm(dossier, action))
}

const stateLabel = (workflow, name) => pick(workflow.states.find((s) => s.name === name)?.label) || name

/** One action the user may take; a signed step offers the content to sign and takes the signature file. */
function actionForm (dossier, action) {
  const comment = action.requireComment ? el('label', {}, `${t('comment')} *`, el('textarea', { name: 'comment', rows: 3, required: true })) : null
  const signature = action.requireSignature ? el('label', {}, `${t('signFile')} *`, el('input', { name: 'signature', type: 'file', accept: '.p7s,application/pkcs7-signature' })) : null
  const content = action.requireSignature
    ? el('a', {
      href: '#',
      onclick: async (event) => {
        event.preventDefault()
        const { canonical } = await api(`/dossiers/${dossier._id}/signing?action=${encodeURIComponent(action.action)}`)
        const link = el('a', { href: URL.createObjectURL(new Blob([canonical], { type: 'application/json' })), download: `${dossier.receipt}-${action.action}.json` })
        link.click()
      }
    }, t('contentToSign'))
    : null
  const said = el('p', { role: 'status' })
  const node = el('form', {
    'aria-label': pick(action.label),
    onsubmit: async (event) => {
      event.preventDefault()
      const body = { action: action.action }
      if (comment !== null) body.comment = event.target.elements.comment.value
      const file = signature?.querySelector('input').files[0]
      if (file !== undefined) body.signature = btoa(String.fromCharCode(...new Uint8Array(await file.arrayBuffer())))
      try {
        await api(`/dossiers/${dossier._id}/actions`, { method: 'POST', body })
        status(t('done', { action: pick(action.label) }))
        await route()
      } catch (error) {
        said.textContent = t('failed', { message: [error.message, ...(error.body?.error?.fields ?? []).map((f) => f.message[lang])].join(' ') })
      }
    }
  }, el('h2', {}, pick(action.label)), comment, content, signature, el('button', { type: 'submit' }, pick(action.label)), said)
  return node
}

async function reports (view) {
  const groupBy = el('select', { id: 'group-by' }, [['state', t('state')], ['filedMonth', t('month')], ['procedure.code', t('procedure')], ['_tenant', t('unit')]].map(([value, text]) => el('option', { value }, text)))
  const subtree = el('input', { type: 'checkbox', id: 'subtree' })
  const table = el('div', { 'aria-live': 'polite' })
  const exported = el('p', { role: 'status' })
  const run = async (event) => {
    event.preventDefault()
    const body = { groupBy: [groupBy.value], metrics: { n: { op: 'count' } }, ...(subtree.checked ? { scope: 'subtree' } : {}) }
    const { rows } = await api('/reports', { method: 'POST', body })
    const max = Math.max(1, ...rows.map((r) => r.n))
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
    svg.setAttribute('class', 'chart')
    svg.setAttribute('viewBox', `0 0 400 ${rows.length * 24 + 4}`)
    svg.setAttribute('role', 'img')
    svg.setAttribute('aria-label', t('count'))
    rows.forEach((row, i) => {
      const bar = document.createElementNS('http://www.w3.org/2000/svg', 'rect')
      Object.entries({ x: 150, y: i * 24 + 4, height: 18, width: Math.max(1, (row.n / max) * 240) }).forEach(([k, v]) => bar.setAttribute(k, String(v)))
      const text = document.createElementNS('http://www.w3.org/2000/svg', 'text')
      Object.entries({ x: 0, y: i * 24 + 18 }).forEach(([k, v]) => text.setAttribute(k, String(v)))
      text.textContent = `${row[groupBy.value] ?? '—'}: ${row.n}`
      svg.append(bar, text)
    })
    table.replaceChildren(el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, groupBy.selectedOptions[0].textContent), el('th', {}, t('count')))),
      el('tbody', {}, rows.map((row) => el('tr', {}, el('td', {}, String(row[groupBy.value] ?? '—')), el('td', { class: 'number' }, row.n))))), svg)
  }
  const exportXlsx = async () => {
    exported.textContent = t('exporting')
    try {
      const { id } = await api('/reports/export', { method: 'POST', body: { format: 'xlsx', ...(subtree.checked ? { scope: 'subtree' } : {}) } })
      let state
      do {
        await new Promise((resolve) => setTimeout(resolve, 300))
        state = await api(`/exports/${id}`)
      } while (state.state === 'running')
      if (state.state !== 'done') throw new Error(state.error)
      exported.replaceChildren(el('a', { href: state.url, download: state.file.name }, t('download', { name: state.file.name, rows: state.rows })))
    } catch (error) {
      exported.textContent = t('failed', { message: error.message })
    }
  }
  view.append(el('h1', {}, t('reports')),
    el('form', { onsubmit: run }, el('label', {}, t('groupBy'), groupBy), el('label', {}, el('span', {}, subtree, ' ', t('subtree'))), el('button', { type: 'submit' }, t('run'))),
    table, el('button', { type: 'button', onclick: exportXlsx }, t('export')), exported)
}

// ---- routing ------------------------------------------------------------------------------------------------------

async function route () {
  const [path, search] = location.hash.slice(1).split('?')
  const query = new URLSearchParams(search ?? '')
  const parts = (path || '/').split('/').filter(Boolean).map(decodeURIComponent)
  const view = $('view')
  view.replaceChildren(el('p', {}, t('loading')))
  const fresh = el('div')
  try {
    if (parts[0] === 'file') await filing(fresh, parts[1])
    else if (parts[0] === 'mine') await mine(fresh)
    else if (parts[0] === 'inbox') await inbox(fresh, query)
    else if (parts[0] === 'dossier') await dossierPage(fresh, parts[1])
    else if (parts[0] === 'reports') await reports(fresh)
    else await catalogue(fresh)
  } catch (error) {
    fresh.replaceChildren(el('p', { class: 'error', role: 'alert' }, error.message))
  }
  view.replaceChildren(...fresh.childNodes)
}

function labels () {
  document.documentElement.lang = lang
  for (const link of document.querySelectorAll('nav [data-text]')) link.textContent = t(link.dataset.text)
  $('language').textContent = t('language')
  const user = page.user
  $('who').textContent = user === null ? t('signedOut') : `${t('hello')} ${user.displayName}`
  for (const link of document.querySelectorAll('[data-role="officer"]')) link.hidden = !isOfficer()
}

$('language').addEventListener('click', () => { lang = lang === 'vi' ? 'en' : 'vi'; labels(); void route() })
window.addEventListener('hashchange', () => { void route() })
await page.ready()
lang = page.locale === 'en' ? 'en' : 'vi'
labels()
await route()

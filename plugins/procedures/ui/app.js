// The procedures' pages for people and officers: the procedures serving this unit, filing a dossier (the form drawn
// from the published version, checked here by the same form.js the server checks with, files uploaded as chosen),
// one's own dossiers, an officer's inbox, a dossier with its history and the actions the user may take, and reports
// with a chart and an Excel export. Every call goes through the plugin's HTTP API as the signed-in user (page.fetch).
import { page } from './nentang-page.js'
import { checkData, fieldsOf } from './form.js'
import { base64, openP12, P12Error, signDetached } from './p12.js'
import { applyConditions, collect, fieldNode, showValue } from './form-view.js'
import { adminList, designer } from './designer.js'
import { $, api, date, el, isAdmin, isOfficer, language, pick, setLanguage, status, t } from './kit.js'
import { unitOf } from './units.js'

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
      node.error.textContent = [node.error.textContent, problem.message[language()] ?? problem.message.vi].filter(Boolean).join('; ')
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
  const said = el('p', { role: 'status' })
  let signing = null
  if (action.requireSignature) {
    // Signed here with the user's own PKCS#12 file (the key stays in this page), or with a .p7s their signing tool
    // made of the content offered for download.
    const content = el('a', {
      href: '#',
      onclick: async (event) => {
        event.preventDefault()
        const { canonical } = await api(`/dossiers/${dossier._id}/signing?action=${encodeURIComponent(action.action)}`)
        el('a', { href: URL.createObjectURL(new Blob([canonical], { type: 'application/json' })), download: `${dossier.receipt}-${action.action}.json` }).click()
      },
    }, t('contentToSign'))
    signing = el('fieldset', {}, el('legend', {}, `${t('signature')} *`),
      el('label', {}, t('p12File'), el('input', { name: 'p12', type: 'file', accept: '.p12,.pfx,application/x-pkcs12' })),
      el('label', {}, t('p12Password'), el('input', { name: 'password', type: 'password', autocomplete: 'off' })),
      el('p', { class: 'help' }, t('orSignatureFile'), ' ', content),
      el('label', {}, t('signFile'), el('input', { name: 'signature', type: 'file', accept: '.p7s,application/pkcs7-signature' })))
  }
  /** The signature, base64: made here from the PKCS#12 file, or the .p7s file as chosen. */
  const signatureOf = async (form) => {
    const p12 = form.elements.p12.files[0]
    if (p12 !== undefined) {
      const opened = await openP12(new Uint8Array(await p12.arrayBuffer()), form.elements.password.value)
      const { canonical } = await api(`/dossiers/${dossier._id}/signing?action=${encodeURIComponent(action.action)}`)
      return base64(await signDetached(canonical, opened))
    }
    const file = form.elements.signature.files[0]
    return file === undefined ? undefined : base64(new Uint8Array(await file.arrayBuffer()))
  }
  return el('form', {
    'aria-label': pick(action.label),
    onsubmit: async (event) => {
      event.preventDefault()
      const body = { action: action.action }
      if (comment !== null) body.comment = event.target.elements.comment.value
      try {
        if (signing !== null) {
          const signature = await signatureOf(event.target)
          if (signature !== undefined) body.signature = signature
        }
        await api(`/dossiers/${dossier._id}/actions`, { method: 'POST', body })
        status(t('done', { action: pick(action.label) }))
        await route()
      } catch (error) {
        const message = error instanceof P12Error ? t(error.code) : [error.message, ...(error.body?.error?.fields ?? []).map((f) => f.message[language()])].join(' ')
        said.textContent = t('failed', { message })
      }
    },
  }, el('h2', {}, pick(action.label)), comment, signing, el('button', { type: 'submit' }, pick(action.label)), said)
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

/** Which navigation is the latest: a view that loads after the user moved on is thrown away, not shown. */
let navigation = 0

async function route () {
  const current = ++navigation
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
    else if (parts[0] === 'admin') await adminList(fresh)
    else if (parts[0] === 'design') await designer(fresh, parts[1])
    else await catalogue(fresh)
  } catch (error) {
    fresh.replaceChildren(el('p', { class: 'error', role: 'alert' }, error.message))
  }
  if (current === navigation) view.replaceChildren(...fresh.childNodes)
}

function labels () {
  document.documentElement.lang = language()
  for (const link of document.querySelectorAll('nav [data-text]')) link.textContent = t(link.dataset.text)
  $('language').textContent = t('language')
  const user = page.user
  $('who').textContent = user === null ? t('signedOut') : `${t('hello')} ${user.displayName}`
  for (const link of document.querySelectorAll('[data-role="officer"]')) link.hidden = !isOfficer()
  for (const link of document.querySelectorAll('[data-role="admin"]')) link.hidden = !isAdmin()
}

$('language').addEventListener('click', () => { setLanguage(language() === 'vi' ? 'en' : 'vi'); labels(); void route() })
window.addEventListener('hashchange', () => { void route() })
await page.ready()
setLanguage(page.locale)
labels()
await route()

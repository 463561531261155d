// The portal sync's page: the outbox (what waits, what failed and why, send again now) and, per procedure, which
// portal status each workflow step reports. Acts as the signed-in administrator through the page SDK.
import { page } from './nentang-page.js'
import { PORTAL_STATUSES, illegalJumps } from './portal.js'

const $ = (id) => document.getElementById(id)
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props)
  node.append(...children)
  return node
}
const text = (one) => one[page.locale] ?? one.vi

async function json (path, init) {
  const response = await page.fetch(path, init)
  const body = await response.json()
  if (!response.ok) throw new Error(body.error?.message ?? `${response.status}`)
  return body
}

async function showQueue () {
  const { counts, problems } = await json('/queue')
  const labels = { pending: 'Chờ gửi', sending: 'Đang gửi', failed: 'Lỗi, sẽ gửi lại', sent: 'Đã gửi', refused: 'Bị từ chối' }
  $('counts').replaceChildren(...Object.entries(counts).flatMap(([state, n]) => [el('dt', { textContent: labels[state] ?? state }), el('dd', { textContent: String(n) })]))
  $('problems').replaceChildren(...problems.map((one) => el('tr', {},
    el('td', { textContent: one.receipt }), el('td', { textContent: one.call }), el('td', { textContent: labels[one.state] ?? one.state }),
    el('td', { textContent: String(one.attempts) }), el('td', { textContent: one.error ?? '' }))))
}

function mappingForm (procedure) {
  const form = el('form')
  const fieldset = el('fieldset', {}, el('legend', { textContent: `${text(procedure.name)} (${procedure.code}, phiên bản ${procedure.version})` }))
  for (const state of procedure.workflow.states) {
    const id = `${procedure.code}.${state.name}`
    const select = el('select', { id, name: state.name }, el('option', { value: '', textContent: '—' }), ...PORTAL_STATUSES.map((status) =>
      el('option', { value: String(status.code), textContent: `${status.code}. ${text(status)}`, selected: procedure.mapping?.[state.name] === status.code })))
    const named = state.label === null || state.label === undefined ? state.name : `${text(state.label)} (${state.name})`
    fieldset.append(el('p', {}, el('label', { htmlFor: id, textContent: named }), ' ', select))
  }
  const said = el('p', { role: 'status' })
  form.append(fieldset, el('button', { type: 'submit', textContent: 'Lưu' }), said)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const states = {}
    for (const select of form.querySelectorAll('select')) if (select.value !== '') states[select.name] = Number(select.value)
    // The same check the plugin makes, at once; the plugin's answer is the one that counts.
    const problems = illegalJumps(procedure.workflow, states)
    said.className = problems.length > 0 ? 'error' : ''
    if (problems.length > 0) { said.textContent = problems.map((one) => text(one.message)).join('; '); return }
    try {
      await json(`/mappings/${procedure.code}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ states }) })
      said.textContent = 'Đã lưu.'
    } catch (error) {
      said.className = 'error'
      said.textContent = error.message
    }
  })
  return form
}

async function start () {
  await page.ready()
  const { procedures } = await json('/procedures')
  $('procedures').replaceChildren(...(procedures.length === 0 ? [el('p', { textContent: 'Chưa có thủ tục nào được công bố.' })] : procedures.map(mappingForm)))
  await showQueue()
  $('status').textContent = ''
  $('flush').addEventListener('click', async () => {
    await json('/queue/flush', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    await showQueue()
  })
}

start().catch((error) => { $('status').textContent = `Không tải được: ${error.message}` })

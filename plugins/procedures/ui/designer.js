// The administrator's pages: the unit's own procedures, and the designer: general information, the form's fields with
// a live preview drawn by the filing page's own code, the workflow's states and transitions with their diagram, then
// save the draft (every problem the server finds listed by where it is) and publish it as the next version.
import { FIELD_TYPES, checkForm } from './form.js'
import { fieldNode } from './form-view.js'
import { api, el, pick, status, t } from './kit.js'
import { ACTORS, checkWorkflow } from './workflow.js'

const MEDIA = [['application/pdf', 'PDF'], ['image/jpeg', 'JPEG'], ['image/png', 'PNG']]
const label = (vi, en) => ({ vi, ...(en ? { en } : {}) })

/** A new procedure: one section without fields, and the usual three steps (received, review, decided). */
const blank = () => ({
  code: '',
  name: label(''),
  sector: '',
  timeLimitDays: 15,
  fee: 0,
  form: { sections: [{ title: label('Thông tin hồ sơ', 'The application'), fields: [] }] },
  workflow: {
    initial: 'tiep-nhan',
    states: [
      { name: 'tiep-nhan', label: label('Tiếp nhận', 'Received'), deadlineDays: 2 },
      { name: 'tham-dinh', label: label('Thẩm định', 'Review'), deadlineDays: 10 },
      { name: 'da-giai-quyet', label: label('Đã giải quyết', 'Granted'), outcome: 'approved' },
      { name: 'tu-choi', label: label('Từ chối', 'Refused'), outcome: 'rejected' },
    ],
    transitions: [
      { from: 'tiep-nhan', action: 'nhan', to: 'tham-dinh', roles: ['officer'], label: label('Nhận hồ sơ', 'Accept') },
      { from: 'tham-dinh', action: 'duyet', to: 'da-giai-quyet', roles: ['officer'], label: label('Duyệt', 'Approve') },
      { from: 'tham-dinh', action: 'tu-choi', to: 'tu-choi', roles: ['officer'], requireComment: true, label: label('Từ chối', 'Refuse') },
    ],
  },
  reports: [],
})

/** A field's name from its label: `Ngày khởi công` → `ngayKhoiCong`. */
export function nameFrom (text) {
  const words = text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)
  const name = words.map((word, i) => (i === 0 ? word : word[0].toUpperCase() + word.slice(1))).join('').replace(/^[0-9]+/, '')
  return name.slice(0, 40) || 'truong'
}

export async function adminList (view) {
  const { items } = await api('/procedures')
  view.append(el('h1', {}, t('admin')), el('p', {}, el('a', { href: '#/design/' }, t('newProcedure'))))
  const own = items.filter((p) => !p.inherited)
  view.append(own.length === 0
    ? el('p', {}, t('none'))
    : el('ul', {}, own.map((p) => el('li', {}, el('a', { href: `#/design/${p.code}` }, pick(p.name) || p.code),
      ` · ${p.published === null ? t('notPublished') : t('version', { n: p.published })}${p.draft ? ` · ${t('draft')}` : ''}`))))
}

export async function designer (view, code) {
  const existing = code ? await api(`/procedures/${encodeURIComponent(code)}`) : null
  const definition = existing?.draft ? structuredClone(existing.draft) : blank()
  if (existing) definition.code = code
  const sections = definition.form.sections
  const preview = el('div', { class: 'preview' })
  const diagram = el('div', { class: 'diagram' })
  const problems = el('ul', { class: 'error', role: 'alert' })
  const fields = el('div')
  const states = el('div')

  // A field is previewed once it has a name and a label (a group, once one of its fields has).
  const ready = (field) => field.name && field.label.vi && (field.type !== 'group' || field.fields.some(ready))
  const previewed = (field) => field.type === 'group' ? { ...field, fields: field.fields.filter(ready) } : field
  const refresh = () => {
    const inner = new Map()
    preview.replaceChildren(...sections.map((section) => el('section', {}, el('h3', {}, pick(section.title)),
      section.fields.filter(ready).map((field) => fieldNode(previewed(field), 'preview-', new Map(), inner)))))
    diagram.replaceChildren(drawWorkflow(definition.workflow))
  }
  const input = (text, value, set, attributes = {}) => {
    const node = el('input', { value: value ?? '', ...attributes })
    node.addEventListener('input', () => { set(node.value); refresh() })
    return el('label', {}, text, node)
  }
  const check = (text, value, set) => {
    const node = el('input', { type: 'checkbox', checked: value === true })
    node.addEventListener('change', () => { set(node.checked); refresh() })
    return el('label', { class: 'check' }, node, ' ', text)
  }
  const choose = (text, value, options, set) => {
    const node = el('select', {}, options.map(([v, shown]) => el('option', { value: v, selected: v === value }, shown)))
    node.addEventListener('change', () => { set(node.value); refresh() })
    return el('label', {}, text, node)
  }
  const move = (list, i, by) => { const [taken] = list.splice(i, 1); list.splice(i + by, 0, taken); drawFields() }
  const moves = (list, i, remove) => el('div', {},
    el('button', { type: 'button', disabled: i === 0, onclick: () => move(list, i, -1) }, t('up')), ' ',
    el('button', { type: 'button', disabled: i === list.length - 1, onclick: () => move(list, i, 1) }, t('down')), ' ',
    remove)

  /**
   * The editor of field `i` of `list`: a section's fields, or a group's (`inGroup`: no group inside a group). A
   * condition may name a yes/no or choice field before it at the same level: `before` are those of earlier sections.
   */
  const fieldBox = (list, i, before, inGroup) => {
    const field = list[i]
    const box = el('fieldset', { class: inGroup ? 'designed-child' : 'designed-field' }, el('legend', {}, t(inGroup ? 'childN' : 'fieldN', { n: i + 1 })),
      input(t('fieldLabel'), field.label.vi, (v) => {
        const named = field.name === '' || field.name === nameFrom(field.label.vi)
        field.label.vi = v
        if (named) { field.name = nameFrom(v); box.querySelector('[data-name]').value = field.name }
      }),
      input(t('fieldLabelEn'), field.label.en, (v) => { if (v) field.label.en = v; else delete field.label.en }),
      input(t('fieldName'), field.name, (v) => { field.name = v }, { 'data-name': true }),
      choose(t('fieldType'), field.type, FIELD_TYPES.filter((type) => !inGroup || type !== 'group').map((type) => [type, t(`type_${type}`)]), (v) => {
        field.type = v
        if ((v === 'choice' || v === 'multichoice') && !field.options) field.options = []
        if (v === 'file' && !field.accept) field.accept = ['application/pdf']
        if (v === 'group' && !field.fields) field.fields = []
        drawFields()
      }),
      check(t('required'), field.required, (v) => { field.required = v }))
    if (field.type === 'choice' || field.type === 'multichoice') {
      const area = el('textarea', { rows: 3 }, (field.options ?? []).map((o) => `${o.value} | ${o.label.vi}`).join('\n'))
      area.addEventListener('input', () => {
        field.options = area.value.split('\n').map((line) => line.split('|').map((part) => part.trim())).filter(([value]) => value)
          .map(([value, shown]) => ({ value, label: label(shown || value) }))
        refresh()
      })
      box.append(el('label', {}, t('options'), area))
    }
    if (field.type === 'file') {
      box.append(el('fieldset', {}, el('legend', {}, t('accept')), MEDIA.map(([type, shown]) => check(shown, field.accept.includes(type), (v) => {
        field.accept = v ? [...new Set([...field.accept, type])] : field.accept.filter((a) => a !== type)
      }))))
    }
    if (field.type === 'group') {
      const count = (key) => input(t(key), field[key], (v) => { if (v === '') delete field[key]; else field[key] = Number(v) }, { type: 'number', min: 0, max: 100 })
      box.append(el('fieldset', { class: 'designed-group' }, el('legend', {}, t('groupFields')),
        field.fields.map((_, c) => fieldBox(field.fields, c, [], true)),
        el('button', { type: 'button', onclick: () => { field.fields.push({ name: '', type: 'text', label: label('') }); drawFields() } }, t('addChild')),
        count('minItems'), count('maxItems')))
    }
    const earlier = [...before, ...list.slice(0, i)].filter((f) => f.type === 'yesno' || f.type === 'choice')
    if (earlier.length > 0) {
      box.append(choose(t('showIf'), field.showIf?.field ?? '', [['', t('always')], ...earlier.map((f) => [f.name, pick(f.label)])], (v) => {
        if (v === '') delete field.showIf
        else field.showIf = { field: v, equals: earlier.find((f) => f.name === v)?.type === 'yesno' ? true : '' }
        drawFields()
      }))
      const shownBy = earlier.find((f) => f.name === field.showIf?.field)
      if (shownBy?.type === 'choice') box.append(choose(t('showIfEquals'), field.showIf.equals, shownBy.options.map((o) => [o.value, pick(o.label)]), (v) => { field.showIf.equals = v }))
    }
    box.append(moves(list, i, el('button', { type: 'button', onclick: () => { list.splice(i, 1); drawFields() } }, t('remove'))))
    return box
  }

  const drawFields = () => {
    fields.replaceChildren(...sections.map((section, s) => {
      const before = sections.slice(0, s).flatMap((earlier) => earlier.fields)
      const box = el('fieldset', { class: 'designed-section' }, el('legend', {}, t('sectionN', { n: s + 1 })),
        input(t('sectionTitle'), section.title.vi, (v) => { section.title.vi = v }),
        input(t('sectionTitleEn'), section.title.en, (v) => { if (v) section.title.en = v; else delete section.title.en }),
        section.fields.map((_, i) => fieldBox(section.fields, i, before, false)),
        el('button', {
          type: 'button',
          onclick: () => {
            section.fields.push({ name: '', type: 'text', label: label('') })
            drawFields()
            ;[...fields.children[s].querySelectorAll(':scope > .designed-field')].at(-1)?.querySelector('input')?.focus()
          },
        }, t('addField')))
      if (sections.length > 1) box.append(moves(sections, s, el('button', { type: 'button', onclick: () => { sections.splice(s, 1); drawFields() } }, t('removeSection'))))
      return box
    }), el('button', { type: 'button', onclick: () => { sections.push({ title: label(t('sectionN', { n: sections.length + 1 })), fields: [] }); drawFields() } }, t('addSection')))
    refresh()
  }

  const drawStates = () => {
    const workflow = definition.workflow
    const names = workflow.states.map((s) => [s.name, pick(s.label) || s.name])
    states.replaceChildren(
      el('h3', {}, t('states')),
      ...workflow.states.map((state, i) => el('fieldset', { class: 'designed-state' }, el('legend', {}, t('stateN', { n: i + 1 })),
        input(t('stateName'), state.name, (v) => {
          for (const tr of workflow.transitions) { if (tr.from === state.name) tr.from = v; if (tr.to === state.name) tr.to = v }
          if (workflow.initial === state.name) workflow.initial = v
          state.name = v
        }),
        input(t('fieldLabel'), state.label.vi, (v) => { state.label.vi = v }),
        input(t('deadlineDays'), state.deadlineDays, (v) => { if (v === '') delete state.deadlineDays; else state.deadlineDays = Number(v) }, { type: 'number', min: 1, max: 365 }),
        choose(t('outcome'), state.outcome ?? '', [['', t('notFinal')], ['approved', t('approved')], ['rejected', t('rejected')]], (v) => { if (v === '') delete state.outcome; else state.outcome = v }),
        el('button', { type: 'button', onclick: () => { workflow.states.splice(i, 1); drawStates() } }, t('remove')))),
      el('button', { type: 'button', onclick: () => { workflow.states.push({ name: `buoc-${workflow.states.length + 1}`, label: label(t('newState')) }); drawStates() } }, t('addState')),
      choose(t('initial'), workflow.initial, names, (v) => { workflow.initial = v }),
      el('h3', {}, t('transitions')),
      ...workflow.transitions.map((tr, i) => el('fieldset', { class: 'designed-transition' }, el('legend', {}, pick(tr.label) || tr.action),
        choose(t('from'), tr.from, names, (v) => { tr.from = v }),
        input(t('fieldLabel'), tr.label.vi, (v) => { tr.label.vi = v }),
        input(t('actionName'), tr.action, (v) => { tr.action = v }),
        choose(t('to'), tr.to, names, (v) => { tr.to = v }),
        el('fieldset', {}, el('legend', {}, t('who')), ACTORS.map((role) => check(t(`role_${role}`), tr.roles.includes(role), (v) => {
          tr.roles = v ? [...new Set([...tr.roles, role])] : tr.roles.filter((r) => r !== role)
        }))),
        check(t('requireSignature'), tr.requireSignature, (v) => { tr.requireSignature = v }),
        check(t('requireComment'), tr.requireComment, (v) => { tr.requireComment = v }),
        el('button', { type: 'button', onclick: () => { workflow.transitions.splice(i, 1); drawStates() } }, t('remove')))),
      el('button', {
        type: 'button',
        onclick: () => {
          workflow.transitions.push({ from: workflow.initial, action: `thao-tac-${workflow.transitions.length + 1}`, to: workflow.initial, roles: ['officer'], label: label(t('newTransition')) })
          drawStates()
        },
      }, t('addTransition')))
    refresh()
  }

  const save = async () => {
    const found = [...checkForm(definition.form), ...checkWorkflow(definition.workflow)]
    if (!definition.name.vi) found.unshift({ path: 'name.vi', message: t('nameRequired') })
    if (found.length > 0) return show(found)
    const body = { ...definition, sector: definition.sector || undefined }
    try {
      if (existing) await api(`/procedures/${encodeURIComponent(definition.code)}`, { method: 'PUT', body: { ...body, code: undefined } })
      else await api('/procedures', { method: 'POST', body })
      show([])
      status(t('saved'))
      return true
    } catch (error) {
      show(error.body?.error?.problems ?? [{ path: '', message: error.message }])
    }
  }
  const show = (found) => {
    problems.replaceChildren(...found.map((p) => el('li', {}, p.path ? `${p.path}: ${p.message}` : p.message)))
    return false
  }
  const publish = async () => {
    if (await save() !== true) return
    const { published } = await api(`/procedures/${encodeURIComponent(definition.code)}/publish`, { method: 'POST', body: {} })
    status(t('published', { n: published }))
    location.hash = '#/admin'
  }

  view.append(el('h1', {}, t('designer')),
    el('fieldset', {}, el('legend', {}, t('general')),
      input(t('code'), definition.code, (v) => { definition.code = v }, existing ? { disabled: true } : {}),
      input(t('nameVi'), definition.name.vi, (v) => { definition.name.vi = v }),
      input(t('nameEn'), definition.name.en, (v) => { if (v) definition.name.en = v; else delete definition.name.en }),
      input(t('sector'), definition.sector, (v) => { definition.sector = v }),
      input(t('timeLimitDays'), definition.timeLimitDays, (v) => { definition.timeLimitDays = Number(v) }, { type: 'number', min: 1, max: 365 }),
      input(t('fee'), definition.fee, (v) => { definition.fee = Number(v) }, { type: 'number', min: 0, step: 1000 })),
    el('div', { class: 'designer' },
      el('section', { 'aria-label': t('form') }, el('h2', {}, t('form')), fields),
      el('aside', { 'aria-label': t('preview') }, el('h2', {}, t('preview')), preview)),
    el('section', { 'aria-label': t('workflow') }, el('h2', {}, t('workflow')), diagram, states),
    problems,
    el('div', {}, el('button', { type: 'button', onclick: () => { void save() } }, t('saveDraftProcedure')), ' ', el('button', { type: 'button', onclick: () => { void publish() } }, t('publish'))))
  drawFields()
  drawStates()
}

/** The workflow as boxes and arrows (SVG): states in a row, each transition an arrow labelled with its action. */
function drawWorkflow (workflow) {
  const ns = 'http://www.w3.org/2000/svg'
  const node = (tag, attributes, text) => {
    const made = document.createElementNS(ns, tag)
    for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, String(value))
    if (text !== undefined) made.textContent = text
    return made
  }
  const width = 150
  const at = new Map(workflow.states.map((state, i) => [state.name, { x: 10 + i * (width + 40), y: 70 }]))
  const svg = node('svg', { viewBox: `0 0 ${workflow.states.length * (width + 40) + 20} 200`, role: 'img', class: 'workflow' })
  svg.append(node('title', {}, workflow.transitions.map((tr) => `${tr.from} → ${tr.to} (${pick(tr.label)})`).join('; ')))
  const marker = node('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' })
  marker.append(node('path', { d: 'M 0 0 L 10 5 L 0 10 z' }))
  const defs = node('defs', {})
  defs.append(marker)
  svg.append(defs)
  for (const state of workflow.states) {
    const { x, y } = at.get(state.name)
    svg.append(node('rect', { x, y, width, height: 40, rx: 6, class: state.outcome ? `final ${state.outcome}` : state.name === workflow.initial ? 'initial' : 'state' }),
      node('text', { x: x + width / 2, y: y + 25, 'text-anchor': 'middle' }, pick(state.label) || state.name))
  }
  workflow.transitions.forEach((tr, i) => {
    const from = at.get(tr.from)
    const to = at.get(tr.to)
    if (!from || !to) return
    const forward = to.x >= from.x
    const bend = (forward ? -1 : 1) * (30 + (i % 3) * 12)
    const [x1, x2] = forward ? [from.x + width, to.x] : [from.x, to.x + width]
    const y = from.y + 20
    const middle = (x1 + x2) / 2
    svg.append(node('path', { d: `M ${x1} ${y} Q ${middle} ${y + bend * 2} ${x2} ${y}`, fill: 'none', 'marker-end': 'url(#arrow)', class: 'arrow' }),
      node('text', { x: middle, y: y + bend + (forward ? -4 : 12), 'text-anchor': 'middle', class: 'arrow-label' }, pick(tr.label) || tr.action))
  })
  return svg
}

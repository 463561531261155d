// E-forms: a procedure's form as its designer builds it (sections of typed fields), checked as a definition, turned
// into JSON Schema 2020-12 for other systems, and used to check what an applicant files. The same module runs in the
// plugin's isolate and in the browser (the filing page imports it), so both give the same messages, in Vietnamese
// and English. No pattern a designer writes is ever run: the formats are fixed, so no form can stall a check.

export const FIELD_TYPES = ['text', 'longtext', 'number', 'money', 'date', 'choice', 'multichoice', 'yesno', 'file', 'unit', 'group']
const NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,39}$/
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const MIME = /^[a-z]+\/[a-z0-9.+-]+$/
/** What `files` and uploads give as a file's id. */
const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const UNIT = /^\d{2}$|^\d{5}$/
const LIMITS = { sections: 20, fields: 100, options: 200, text: 2000, longtext: 20000, rows: 100, files: 10, maxBytes: 50 * 1024 * 1024 }

/** Messages, by code, in both languages; `{x}` is filled from the error's params. */
const MESSAGES = {
  required: { vi: 'Trường “{label}” là bắt buộc', en: '“{label}” is required' },
  type: { vi: '“{label}” phải là {expected}', en: '“{label}” must be {expected}' },
  tooLong: { vi: '“{label}” dài tối đa {max} ký tự', en: '“{label}” is at most {max} characters' },
  tooSmall: { vi: '“{label}” phải từ {min} trở lên', en: '“{label}” must be at least {min}' },
  tooLarge: { vi: '“{label}” phải không quá {max}', en: '“{label}” must be at most {max}' },
  integer: { vi: '“{label}” phải là số nguyên đồng', en: '“{label}” must be a whole number of đồng' },
  date: { vi: '“{label}” phải là ngày hợp lệ (năm-tháng-ngày)', en: '“{label}” must be a valid date (year-month-day)' },
  choice: { vi: '“{label}”: hãy chọn một giá trị trong danh sách', en: '“{label}”: choose a value from the list' },
  fileType: { vi: '“{label}”: tệp phải là {accept}', en: '“{label}”: the file must be {accept}' },
  fileSize: { vi: '“{label}”: tệp lớn hơn {max} byte', en: '“{label}”: the file is larger than {max} bytes' },
  tooMany: { vi: '“{label}” có tối đa {max} mục', en: '“{label}” has at most {max} items' },
  tooFew: { vi: '“{label}” cần ít nhất {min} mục', en: '“{label}” needs at least {min} items' },
  unit: { vi: '“{label}”: hãy chọn một đơn vị hành chính có thật', en: '“{label}”: choose a real administrative unit' },
  unknown: { vi: 'Trường “{field}” không có trong biểu mẫu', en: '“{field}” is not a field of this form' },
}
const EXPECTED = {
  text: { vi: 'chuỗi ký tự', en: 'text' },
  number: { vi: 'một số', en: 'a number' },
  yesno: { vi: 'có hoặc không', en: 'yes or no' },
  file: { vi: 'một tệp đã tải lên', en: 'an uploaded file' },
  list: { vi: 'một danh sách', en: 'a list' },
  object: { vi: 'một nhóm trường', en: 'a group of fields' },
}

/** An error for `path` with `code`, its message in both languages (a param may itself be `{vi, en}`). */
function fieldError (path, code, params) {
  const fill = (text, lang) => text.replace(/\{(\w+)\}/g, (_, key) => {
    const value = params[key]
    return String(value !== null && typeof value === 'object' ? value[lang] ?? value.vi : value ?? '')
  })
  return { field: path, code, message: { vi: fill(MESSAGES[code].vi, 'vi'), en: fill(MESSAGES[code].en, 'en') } }
}

const text = (value, max) => typeof value === 'string' && value.trim() !== '' && value.length <= max
const label = (value) => value !== null && typeof value === 'object' && text(value.vi, 200) && (value.en === undefined || text(value.en, 200))

/**
 * What is wrong with a form's definition, as `{path, message}` (English: its readers are the designer's tools and
 * their developers), empty when it is good.
 */
export function checkForm (form) {
  const problems = []
  const problem = (path, message) => { if (problems.length < 50) problems.push({ path, message }) }
  if (form === null || typeof form !== 'object' || !Array.isArray(form.sections)) return [{ path: 'form', message: 'a form is {sections: [{title, fields}]}' }]
  if (form.sections.length === 0 || form.sections.length > LIMITS.sections) problem('form.sections', `1 to ${LIMITS.sections} sections`)
  const names = new Set()
  let count = 0
  const checkField = (field, path, inGroup, siblings) => {
    count++
    if (field === null || typeof field !== 'object') return problem(path, 'a field is an object')
    if (typeof field.name !== 'string' || !NAME.test(field.name)) return problem(`${path}.name`, 'a name is a letter then letters, digits or _, at most 40')
    if (siblings.has(field.name)) problem(`${path}.name`, `'${field.name}' is used twice`)
    siblings.add(field.name)
    if (!FIELD_TYPES.includes(field.type)) return problem(`${path}.type`, `one of ${FIELD_TYPES.join(', ')}`)
    if (!label(field.label)) problem(`${path}.label`, 'a label is {vi, en?}, each 1 to 200 characters')
    if (field.help !== undefined && !label(field.help)) problem(`${path}.help`, 'help is {vi, en?}, each 1 to 200 characters')
    if (field.required !== undefined && typeof field.required !== 'boolean') problem(`${path}.required`, 'true or false')
    for (const key of ['min', 'max', 'maxLength', 'minItems', 'maxItems', 'maxBytes']) {
      if (field[key] !== undefined && (typeof field[key] !== 'number' || !Number.isFinite(field[key]))) problem(`${path}.${key}`, 'a number')
    }
    if (field.type === 'choice' || field.type === 'multichoice') {
      if (!Array.isArray(field.options) || field.options.length === 0 || field.options.length > LIMITS.options) {
        problem(`${path}.options`, `1 to ${LIMITS.options} options {value, label}`)
      } else {
        const values = new Set()
        field.options.forEach((option, i) => {
          if (option === null || typeof option !== 'object' || !text(option.value, 100) || !label(option.label)) problem(`${path}.options[${i}]`, 'an option is {value (1 to 100 characters), label {vi, en?}}')
          else if (values.has(option.value)) problem(`${path}.options[${i}]`, `'${option.value}' is listed twice`)
          else values.add(option.value)
        })
      }
    }
    if (field.type === 'file') {
      if (!Array.isArray(field.accept) || field.accept.length === 0 || field.accept.some((type) => typeof type !== 'string' || !MIME.test(type))) problem(`${path}.accept`, 'a list of media types (application/pdf)')
      if (field.maxBytes !== undefined && (field.maxBytes < 1 || field.maxBytes > LIMITS.maxBytes)) problem(`${path}.maxBytes`, `1 to ${LIMITS.maxBytes}`)
    }
    if (field.type === 'group') {
      if (inGroup) return problem(`${path}.type`, 'a group holds plain fields, not groups')
      if (!Array.isArray(field.fields) || field.fields.length === 0) return problem(`${path}.fields`, 'a group has fields')
      const inner = new Set()
      field.fields.forEach((child, i) => checkField(child, `${path}.fields[${i}]`, true, inner))
    }
    if (field.showIf !== undefined) {
      const rule = field.showIf
      if (rule === null || typeof rule !== 'object' || typeof rule.field !== 'string' || !('equals' in rule)) problem(`${path}.showIf`, 'showIf is {field, equals}')
    }
  }
  form.sections?.forEach?.((section, s) => {
    if (section === null || typeof section !== 'object' || !label(section.title) || !Array.isArray(section.fields)) return problem(`form.sections[${s}]`, 'a section is {title {vi, en?}, fields: []}')
    section.fields.forEach((field, f) => checkField(field, `form.sections[${s}].fields[${f}]`, false, names))
  })
  if (count > LIMITS.fields) problem('form', `at most ${LIMITS.fields} fields`)
  // A condition names a field of the same level that comes before it.
  const conditions = (fields, path) => {
    const seen = new Map()
    fields.forEach((field, i) => {
      if (field?.showIf?.field !== undefined && !seen.has(field.showIf.field)) problem(`${path}[${i}].showIf.field`, `'${field.showIf.field}' is not a field before this one`)
      if (typeof field?.name === 'string') seen.set(field.name, field)
      if (field?.type === 'group' && Array.isArray(field.fields)) conditions(field.fields, `${path}[${i}].fields`)
    })
  }
  if (problems.length === 0) conditions(form.sections.flatMap((section) => section.fields), 'form.fields')
  return problems
}

/** The fields of a form, in order, across its sections. */
export const fieldsOf = (form) => form.sections.flatMap((section) => section.fields)

const visible = (field, values) => field.showIf === undefined || values[field.showIf.field] === field.showIf.equals

/**
 * Checks `data` against `form`: every error, `{field, code, message: {vi, en}}`, empty when the data is good.
 * `isUnit(code)` tells a real administrative unit's code. Hidden fields (a condition not met) must be empty.
 */
export function checkData (form, data, isUnit) {
  const errors = []
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [fieldError('', 'type', { label: { vi: 'dữ liệu', en: 'data' }, expected: EXPECTED.object })]
  checkLevel(fieldsOf(form), data, '', errors, isUnit)
  return errors
}

function checkLevel (fields, values, prefix, errors, isUnit) {
  const known = new Set(fields.map((field) => field.name))
  for (const key of Object.keys(values)) if (!known.has(key)) errors.push(fieldError(prefix + key, 'unknown', { field: prefix + key }))
  for (const field of fields) {
    const path = prefix + field.name
    const value = values[field.name]
    const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)
    if (!visible(field, values)) continue
    if (empty) {
      if (field.required === true) errors.push(fieldError(path, 'required', { label: field.label }))
      continue
    }
    checkValue(field, value, path, errors, isUnit)
  }
}

function checkValue (field, value, path, errors, isUnit) {
  const name = field.label
  const push = (code, params = {}) => errors.push(fieldError(path, code, { label: name, ...params }))
  switch (field.type) {
    case 'text':
    case 'longtext': {
      if (typeof value !== 'string') return push('type', { expected: EXPECTED.text })
      const max = Math.min(field.maxLength ?? LIMITS[field.type], LIMITS[field.type])
      if (value.length > max) push('tooLong', { max })
      return
    }
    case 'number':
    case 'money': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return push('type', { expected: EXPECTED.number })
      if (field.type === 'money' && (!Number.isInteger(value) || value < 0)) return push('integer')
      if (field.min !== undefined && value < field.min) push('tooSmall', { min: field.min })
      if (field.max !== undefined && value > field.max) push('tooLarge', { max: field.max })
      return
    }
    case 'date': {
      const match = typeof value === 'string' ? DATE.exec(value) : null
      const day = match === null ? null : new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
      if (day === null || day.toISOString().slice(0, 10) !== value) push('date')
      return
    }
    case 'choice':
      if (!field.options.some((option) => option.value === value)) push('choice')
      return
    case 'multichoice':
      if (!Array.isArray(value) || value.some((item) => !field.options.some((option) => option.value === item)) || new Set(value).size !== value.length) push('choice')
      return
    case 'yesno':
      if (typeof value !== 'boolean') push('type', { expected: EXPECTED.yesno })
      return
    case 'file': {
      const list = Array.isArray(value) ? value : [value]
      const max = field.maxItems ?? 1
      if (list.length > Math.min(max, LIMITS.files)) return push('tooMany', { max: Math.min(max, LIMITS.files) })
      for (const file of list) {
        if (file === null || typeof file !== 'object' || typeof file.id !== 'string' || !FILE_ID.test(file.id) || typeof file.type !== 'string' || typeof file.size !== 'number') return push('type', { expected: EXPECTED.file })
        if (!field.accept.includes(file.type)) push('fileType', { accept: field.accept.join(', ') })
        else if (file.size > (field.maxBytes ?? LIMITS.maxBytes)) push('fileSize', { max: field.maxBytes ?? LIMITS.maxBytes })
      }
      return
    }
    case 'unit':
      if (typeof value !== 'string' || !UNIT.test(value) || !isUnit(value)) push('unit')
      return
    case 'group': {
      if (!Array.isArray(value)) return push('type', { expected: EXPECTED.list })
      const max = Math.min(field.maxItems ?? LIMITS.rows, LIMITS.rows)
      if (value.length > max) return push('tooMany', { max })
      if (field.minItems !== undefined && value.length < field.minItems) push('tooFew', { min: field.minItems })
      value.forEach((row, i) => {
        if (row === null || typeof row !== 'object' || Array.isArray(row)) errors.push(fieldError(`${path}[${i}]`, 'type', { label: name, expected: EXPECTED.object }))
        else checkLevel(field.fields, row, `${path}[${i}].`, errors, isUnit)
      })
    }
  }
}

/** The files a filing names (every file field, groups included), to keep them past the upload sweep. */
export function filesOf (form, data) {
  const found = []
  const walk = (fields, values) => {
    for (const field of fields) {
      const value = values?.[field.name]
      if (value === undefined || value === null) continue
      if (field.type === 'file') found.push(...(Array.isArray(value) ? value : [value]))
      if (field.type === 'group' && Array.isArray(value)) value.forEach((row) => walk(field.fields, row))
    }
  }
  walk(fieldsOf(form), data)
  return found
}

/** The form as JSON Schema 2020-12, for other systems and the OpenAPI document (the layout stays in `x-layout`). */
export function toJsonSchema (form) {
  const schemaOf = (field) => {
    const title = field.label.vi
    switch (field.type) {
      case 'text': return { type: 'string', title, maxLength: field.maxLength ?? LIMITS.text }
      case 'longtext': return { type: 'string', title, maxLength: field.maxLength ?? LIMITS.longtext }
      case 'number': return { type: 'number', title, ...(field.min === undefined ? {} : { minimum: field.min }), ...(field.max === undefined ? {} : { maximum: field.max }) }
      case 'money': return { type: 'integer', title, minimum: Math.max(0, field.min ?? 0), ...(field.max === undefined ? {} : { maximum: field.max }), 'x-currency': 'VND' }
      case 'date': return { type: 'string', format: 'date', title }
      case 'choice': return { title, enum: field.options.map((option) => option.value) }
      case 'multichoice': return { type: 'array', title, uniqueItems: true, items: { enum: field.options.map((option) => option.value) } }
      case 'yesno': return { type: 'boolean', title }
      case 'file': {
        const file = { type: 'object', required: ['id', 'type', 'size'], properties: { id: { type: 'string' }, name: { type: 'string' }, type: { enum: field.accept }, size: { type: 'integer', maximum: field.maxBytes ?? LIMITS.maxBytes } } }
        return (field.maxItems ?? 1) > 1 ? { type: 'array', title, maxItems: field.maxItems, items: file } : { ...file, title }
      }
      case 'unit': return { type: 'string', title, pattern: '^(\\d{2}|\\d{5})$', 'x-admin-unit': true }
      case 'group': return { type: 'array', title, maxItems: field.maxItems ?? LIMITS.rows, items: objectOf(field.fields) }
    }
  }
  const objectOf = (fields) => ({
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(fields.map((field) => [field.name, schemaOf(field)])),
    required: fields.filter((field) => field.required === true && field.showIf === undefined).map((field) => field.name),
  })
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...objectOf(fieldsOf(form)), 'x-layout': form.sections.map((section) => ({ title: section.title, fields: section.fields.map((field) => field.name) })) }
}

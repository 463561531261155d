import Ajv2020Module, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { CoreError } from '../errors.ts'
import { describeProblem } from '../field-texts.ts'
import type { FieldError, PlatformError } from '../errors.ts'

export type JsonSchema = Record<string, unknown>

// One ajv instance for the core API: strict schemas, no coercion, no defaults written into input.
// ajv is CommonJS: its class is the module's `default` property under Node's ESM interop.
export const ajv = new Ajv2020Module.default({ allErrors: true, strict: true, coerceTypes: false, useDefaults: false })
addFormats.default(ajv)

const compiled = new WeakMap<JsonSchema, ValidateFunction>()

/** Compiles (once per schema object) a validator that throws the field-naming 4xx error for bad input. */
export function validator<T> (schema: JsonSchema): (value: unknown) => T {
  let validate = compiled.get(schema)
  if (validate === undefined) {
    validate = ajv.compile(schema)
    compiled.set(schema, validate)
  }
  const check = validate
  return (value: unknown): T => {
    if (check(value)) return value as T
    throw validationError(check.errors ?? [])
  }
}

/**
 * Translates ajv's errors into one error whose code is that of the first problem, listing them all, each in words in
 * English and Vietnamese (core/field-texts.ts): the field by its label, what is wrong, what is expected.
 */
export function validationError (errors: readonly ErrorObject[]): PlatformError {
  const fields: Array<FieldError & { kind: 'unknown' | 'missing' | 'invalid' }> = errors.map((error) => {
    const base = pointerToField(error.instancePath)
    let kind: 'unknown' | 'missing' | 'invalid' = 'invalid'
    let field = base === '' ? '(body)' : base
    if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') {
      kind = 'unknown'
      field = join(base, String(error.params.additionalProperty ?? error.params.unevaluatedProperty))
    } else if (error.keyword === 'required') {
      kind = 'missing'
      field = join(base, String(error.params.missingProperty))
    }
    const said = describeProblem(error, field)
    return { kind, field, message: said.en, vi: said.vi }
  })
  const first = fields[0] ?? { kind: 'invalid' as const, field: '(body)', message: 'the body is invalid', vi: 'Nội dung gửi lên không hợp lệ.' }
  const factory = first.kind === 'unknown' ? CoreError.unknownField : first.kind === 'missing' ? CoreError.missingField : CoreError.invalidField
  const errorsOut = fields.map(({ field, message, vi }) => ({ field, message, ...(vi === undefined ? {} : { vi }) }))
  return factory(first.message, { field: first.field, errors: errorsOut })
}

function pointerToField (pointer: string): string {
  return pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~')).join('/')
}

function join (base: string, name: string): string {
  return base === '' ? name : `${base}/${name}`
}

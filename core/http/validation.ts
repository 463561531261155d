import Ajv2020Module, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { CoreError } from '../errors.ts'
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

/** Translates ajv's errors into one error whose code is that of the first problem, listing them all. */
export function validationError (errors: readonly ErrorObject[]): PlatformError {
  const fields: Array<FieldError & { kind: 'unknown' | 'missing' | 'invalid' }> = errors.map((error) => {
    const base = pointerToField(error.instancePath)
    if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') {
      const name = String(error.params.additionalProperty ?? error.params.unevaluatedProperty)
      return { kind: 'unknown', field: join(base, name), message: `unknown field '${join(base, name)}'` }
    }
    if (error.keyword === 'required') {
      const name = String(error.params.missingProperty)
      return { kind: 'missing', field: join(base, name), message: `'${join(base, name)}' is required` }
    }
    const field = base === '' ? '(body)' : base
    return { kind: 'invalid', field, message: `'${field}' ${error.message ?? 'is invalid'}` }
  })
  const first = fields[0] ?? { kind: 'invalid' as const, field: '(body)', message: 'the body is invalid' }
  const factory = first.kind === 'unknown' ? CoreError.unknownField : first.kind === 'missing' ? CoreError.missingField : CoreError.invalidField
  return factory(first.message, { field: first.field, errors: fields.map(({ field, message }) => ({ field, message })) })
}

function pointerToField (pointer: string): string {
  return pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~')).join('/')
}

function join (base: string, name: string): string {
  return base === '' ? name : `${base}/${name}`
}

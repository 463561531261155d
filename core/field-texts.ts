import type { ErrorObject } from 'ajv/dist/2020.js'

/** A text in both languages the platform answers in. */
export interface Texts { vi: string, en: string }

/**
 * How people call the fields of the core API and of plugin.json, and what a field with a pattern accepts, in words:
 * a clerk is told "Tên đăng nhập: chỉ gồm chữ thường không dấu…", never a regular expression.
 */
const FIELDS: Record<string, { label: Texts, expected?: Texts }> = {
  username: { label: { vi: 'Tên đăng nhập', en: 'Username' }, expected: { vi: 'chỉ gồm chữ thường không dấu, chữ số và các dấu . _ -, bắt đầu bằng chữ hoặc số, từ 2 đến 64 ký tự', en: 'lower-case letters without marks, digits, . _ and -, starting with a letter or digit, 2 to 64 characters' } },
  password: { label: { vi: 'Mật khẩu', en: 'Password' } },
  currentPassword: { label: { vi: 'Mật khẩu hiện tại', en: 'Current password' } },
  newPassword: { label: { vi: 'Mật khẩu mới', en: 'New password' } },
  displayName: { label: { vi: 'Họ và tên', en: 'Full name' } },
  code: { label: { vi: 'Mã', en: 'Code' }, expected: { vi: 'chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang, bắt đầu bằng chữ, từ 2 đến 63 ký tự (ví dụ hn-ba-dinh)', en: 'lower-case letters without marks, digits and hyphens, starting with a letter, 2 to 63 characters (e.g. hn-ba-dinh)' } },
  name: { label: { vi: 'Tên', en: 'Name' }, expected: { vi: 'dạng @mã-đơn-vị/tên-plugin, chữ thường không dấu (ví dụ @hn/so-tay)', en: 'the form @unit-code/plugin-name, lower case without marks (e.g. @hn/so-tay)' } },
  adminUnitCode: { label: { vi: 'Mã đơn vị hành chính', en: 'Administrative unit code' }, expected: { vi: 'mã số của đơn vị hành chính', en: 'the administrative unit\'s number' } },
  roles: { label: { vi: 'Vai trò', en: 'Roles' } },
  role: { label: { vi: 'Vai trò', en: 'Role' }, expected: { vi: 'tên vai trò: chữ thường không dấu, chữ số và dấu gạch ngang', en: 'a role name: lower-case letters without marks, digits and hyphens' } },
  tenant: { label: { vi: 'Đơn vị', en: 'Unit' } },
  includeDescendants: { label: { vi: 'Áp dụng cho các đơn vị cấp dưới', en: 'Applies to the units below' } },
  disabled: { label: { vi: 'Khoá tài khoản', en: 'Disabled' } },
  package: { label: { vi: 'Gói plugin', en: 'Package' }, expected: { vi: 'dạng @mã-đơn-vị/tên-plugin (ví dụ @hn/so-tay)', en: 'the form @unit-code/plugin-name (e.g. @hn/so-tay)' } },
  version: { label: { vi: 'Phiên bản', en: 'Version' }, expected: { vi: 'số phiên bản dạng 1.0.0', en: 'a version number such as 1.0.0' } },
  settings: { label: { vi: 'Cấu hình', en: 'Settings' } },
  comment: { label: { vi: 'Nhận xét', en: 'Comment' } },
  reason: { label: { vi: 'Lý do', en: 'Reason' } },
  refreshToken: { label: { vi: 'Mã làm mới phiên', en: 'Refresh token' } },
  identityNumber: { label: { vi: 'Số định danh cá nhân', en: 'Identity number' }, expected: { vi: '12 chữ số (căn cước công dân) hoặc 9 chữ số (chứng minh nhân dân)', en: '12 digits (citizen identity card) or 9 digits (the older identity card)' } },
  ticket: { label: { vi: 'Phiếu đăng nhập', en: 'Sign-in ticket' } },
  credential: { label: { vi: 'Khóa bảo mật', en: 'Security key' } },
  issuer: { label: { vi: 'Địa chỉ nhà cung cấp định danh (issuer)', en: "The identity provider's issuer" } },
  clientId: { label: { vi: 'Mã ứng dụng (client id)', en: 'Client id' } },
  clientSecret: { label: { vi: 'Khóa bí mật của ứng dụng (client secret)', en: 'Client secret' } },
  scopes: { label: { vi: 'Phạm vi (scopes)', en: 'Scopes' }, expected: { vi: 'bắt đầu bằng openid, các phạm vi cách nhau một dấu cách', en: 'starting with openid, scopes separated by one space' } },
  claims: { label: { vi: 'Ánh xạ thông tin (claims)', en: 'Claim mapping' } },
  description: { label: { vi: 'Mô tả', en: 'Description' } },
  engine: { label: { vi: 'Phiên bản nền tảng yêu cầu', en: 'Engine' } },
  main: { label: { vi: 'Tệp chính', en: 'Main file' }, expected: { vi: 'đường dẫn tới một tệp .js hoặc .mjs trong gói', en: 'the path of a .js or .mjs file in the package' } },
  ui: { label: { vi: 'Thư mục trang', en: 'Pages folder' }, expected: { vi: 'đường dẫn một thư mục trong gói, kết thúc bằng /', en: 'the path of a folder in the package, ending in /' } },
  visibility: { label: { vi: 'Phạm vi chia sẻ', en: 'Visibility' } },
  permissions: { label: { vi: 'Quyền', en: 'Permissions' } },
  limits: { label: { vi: 'Giới hạn', en: 'Limits' } },
  routes: { label: { vi: 'Tuyến', en: 'Routes' } },
  method: { label: { vi: 'Phương thức', en: 'Method' } },
  path: { label: { vi: 'Đường dẫn', en: 'Path' }, expected: { vi: 'bắt đầu bằng /, mỗi đoạn gồm chữ, số và . _ ~ - hoặc là :tham_số', en: 'starting with /, each segment letters, digits and . _ ~ - or a :parameter' } },
  handler: { label: { vi: 'Hàm xử lý', en: 'Handler' }, expected: { vi: 'tên một hàm JavaScript mà tệp chính xuất ra', en: 'the name of a JavaScript function the main file exports' } },
  access: { label: { vi: 'Quyền truy cập', en: 'Access' }, expected: { vi: 'public, user hoặc tên một vai trò', en: 'public, user or a role name' } },
  body: { label: { vi: 'Lược đồ nội dung', en: 'Body schema' } },
  secrets: { label: { vi: 'Bí mật', en: 'Secrets' }, expected: { vi: 'chữ in hoa không dấu, chữ số và _, bắt đầu bằng chữ', en: 'capital letters, digits and _, starting with a letter' } },
  allow: { label: { vi: 'Địa chỉ được gọi', en: 'Allowed addresses' }, expected: { vi: 'một địa chỉ http:// hoặc https://', en: 'an http:// or https:// address' } },
  certificate: { label: { vi: 'Chứng thư số', en: 'Certificate' } },
  crl: { label: { vi: 'Danh sách thu hồi', en: 'Revocation list' } },
  q: { label: { vi: 'Từ khoá tìm kiếm', en: 'Search words' } },
  limit: { label: { vi: 'Số kết quả', en: 'Number of results' } },
  offset: { label: { vi: 'Vị trí bắt đầu', en: 'Offset' } },
}

const TYPES: Record<string, Texts> = {
  string: { vi: 'một chuỗi ký tự', en: 'text' },
  number: { vi: 'một số', en: 'a number' },
  integer: { vi: 'một số nguyên', en: 'a whole number' },
  boolean: { vi: 'đúng hoặc sai (true/false)', en: 'true or false' },
  array: { vi: 'một danh sách', en: 'a list' },
  object: { vi: 'một đối tượng JSON', en: 'a JSON object' },
  null: { vi: 'null', en: 'null' },
}

const FORMATS: Record<string, Texts> = {
  'date-time': { vi: 'một thời điểm theo ISO 8601 (ví dụ 2026-12-03T08:00:00Z)', en: 'a time in ISO 8601 (e.g. 2026-12-03T08:00:00Z)' },
  date: { vi: 'một ngày dạng 2026-12-03', en: 'a date such as 2026-12-03' },
  email: { vi: 'một địa chỉ thư điện tử', en: 'an e-mail address' },
  uri: { vi: 'một địa chỉ URL đầy đủ', en: 'a full URL' },
}

/** `record[key]` when the record itself has it: a field named `constructor` or `__proto__` is no label. */
const own = <T>(record: Record<string, T>, key: string): T | undefined => Object.hasOwn(record, key) ? record[key] : undefined

/** The field's name in words: its label, with where it sits when it is inside another (`routes/0/path`). */
export function fieldLabel (field: string): Texts {
  const parts = field.split('/').filter((part) => part !== '')
  const last = [...parts].reverse().find((part) => !/^\d+$/.test(part))
  const known = last === undefined ? undefined : own(FIELDS, last)
  if (known === undefined) return { vi: `Trường ${field}`, en: `Field ${field}` }
  if (parts.length <= 1) return known.label
  return { vi: `${known.label.vi} (${field})`, en: `${known.label.en} (${field})` }
}

const both = (vi: string, en: string): Texts => ({ vi, en })
const list = (values: unknown): string => Array.isArray(values) ? values.map((value) => JSON.stringify(value)).join(', ') : ''

/** One problem ajv found with `field`, said in both languages in words: what is wrong and what is expected. */
export function describeProblem (error: ErrorObject, field: string): Texts {
  const label = fieldLabel(field)
  const say = (vi: string, en: string): Texts => both(`${label.vi}: ${vi}`, `${label.en}: ${en}`)
  const params = error.params as Record<string, unknown>
  const last = field.split('/').filter((part) => part !== '' && !/^\d+$/.test(part)).at(-1) ?? ''
  switch (error.keyword) {
    case 'required': return both(`Thiếu ${label.vi.charAt(0).toLowerCase()}${label.vi.slice(1)}.`, `${label.en} is required.`)
    case 'additionalProperties':
    case 'unevaluatedProperties': return say('trường này không có trong lược đồ, hãy bỏ đi.', 'there is no such field here; remove it.')
    case 'type': {
      const wanted = String(params.type).split(',').map((type) => own(TYPES, type) ?? both(type, type))
      return say(`phải là ${wanted.map((t) => t.vi).join(' hoặc ')}.`, `must be ${wanted.map((t) => t.en).join(' or ')}.`)
    }
    case 'minLength': return Number(params.limit) === 1 ? say('không được để trống.', 'must not be empty.') : say(`cần ít nhất ${params.limit} ký tự.`, `needs at least ${params.limit} characters.`)
    case 'maxLength': return say(`tối đa ${params.limit} ký tự.`, `at most ${params.limit} characters.`)
    case 'minimum': return say(`không được nhỏ hơn ${params.limit}.`, `must be at least ${params.limit}.`)
    case 'maximum': return say(`không được lớn hơn ${params.limit}.`, `must be at most ${params.limit}.`)
    case 'exclusiveMinimum': return say(`phải lớn hơn ${params.limit}.`, `must be more than ${params.limit}.`)
    case 'exclusiveMaximum': return say(`phải nhỏ hơn ${params.limit}.`, `must be less than ${params.limit}.`)
    case 'minItems': return say(`cần ít nhất ${params.limit} mục.`, `needs at least ${params.limit} item(s).`)
    case 'maxItems': return say(`tối đa ${params.limit} mục.`, `at most ${params.limit} items.`)
    case 'uniqueItems': {
      // Which two, counted from 0 as the fields' paths are (`tags/49001`).
      const pair = typeof params.i === 'number' && typeof params.j === 'number' ? [Math.min(params.i, params.j), Math.max(params.i, params.j)] : undefined
      return pair === undefined ? say('có mục bị lặp lại.', 'has an item twice.') : say(`có mục bị lặp lại (mục ${pair[0]} và ${pair[1]} giống nhau).`, `has an item twice (items ${pair[0]} and ${pair[1]} are the same).`)
    }
    case 'minProperties': return say(`cần ít nhất ${params.limit} mục.`, `needs at least ${params.limit} entries.`)
    case 'maxProperties': return say(`tối đa ${params.limit} mục.`, `at most ${params.limit} entries.`)
    case 'enum': return say(`phải là một trong: ${list(params.allowedValues)}.`, `must be one of: ${list(params.allowedValues)}.`)
    case 'const': return say(`phải là ${JSON.stringify(params.allowedValue)}.`, `must be ${JSON.stringify(params.allowedValue)}.`)
    case 'format': {
      const format = own(FORMATS, String(params.format))
      return format === undefined ? say('không đúng định dạng.', 'is not in the expected form.') : say(`phải là ${format.vi}.`, `must be ${format.en}.`)
    }
    case 'pattern': {
      const expected = own(FIELDS, last)?.expected
      return expected === undefined ? say('có ký tự hoặc dạng không được chấp nhận.', 'has characters or a form that is not accepted.') : say(`${expected.vi}.`, `${expected.en}.`)
    }
    case 'propertyNames': return say('có tên mục không được chấp nhận.', 'has an entry whose name is not accepted.')
    case 'multipleOf': return say(`phải là bội số của ${params.multipleOf}.`, `must be a multiple of ${params.multipleOf}.`)
    default: return say('không hợp lệ.', 'is not valid.')
  }
}

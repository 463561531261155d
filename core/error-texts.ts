/**
 * What every error code says to a person, in Vietnamese and in English: what happened and what to do, in words a clerk
 * reads (no code, no pattern). The API answers in the `Accept-Language` language (core/http/error-handler.ts); a test
 * keeps this catalogue, the codes the code defines and docs/errors.md in step.
 */
export const ERROR_TEXTS: Record<string, { vi: string, en: string }> = {
  CORE_ERR_INTERNAL: { vi: 'Hệ thống gặp lỗi ngoài dự kiến. Hãy thử lại; nếu vẫn lỗi, báo quản trị kèm mã yêu cầu.', en: 'Something went wrong on our side. Try again; if it persists, report it with the request id.' },
  CORE_ERR_CONFIG: { vi: 'Cấu hình khởi động không hợp lệ.', en: 'The start-up configuration is invalid.' },
  CORE_ERR_DATABASE_TOO_NEW: { vi: 'Cơ sở dữ liệu đã được một phiên bản nentang mới hơn nâng cấp; hãy chạy phiên bản mới hơn.', en: 'The database was upgraded by a newer nentang; run the newer build.' },
  CORE_ERR_UNAVAILABLE: { vi: 'Hệ thống tạm thời chưa sẵn sàng. Vui lòng thử lại sau ít phút.', en: 'The service is not ready. Try again in a few minutes.' },
  CORE_ERR_NOT_FOUND: { vi: 'Không tìm thấy nội dung này, hoặc bạn không có quyền truy cập.', en: 'This was not found, or it is not within your reach.' },
  CORE_ERR_METHOD_NOT_ALLOWED: { vi: 'Thao tác này không được hỗ trợ tại địa chỉ này.', en: 'This action is not supported here.' },
  CORE_ERR_BAD_REQUEST: { vi: 'Yêu cầu không hợp lệ hoặc chưa gửi trọn vẹn.', en: 'The request is not valid, or did not arrive whole.' },
  CORE_ERR_HEADERS_TOO_LARGE: { vi: 'Phần đầu yêu cầu quá lớn.', en: 'The request headers are too large.' },
  CORE_ERR_REQUEST_TIMEOUT: { vi: 'Yêu cầu đến quá chậm. Vui lòng gửi lại.', en: 'The request took too long to arrive. Send it again.' },
  CORE_ERR_MALFORMED_JSON: { vi: 'Dữ liệu gửi lên không đọc được (không phải JSON hợp lệ).', en: 'The data sent cannot be read (it is not valid JSON).' },
  CORE_ERR_UNSUPPORTED_MEDIA_TYPE: { vi: 'Định dạng dữ liệu gửi lên không được chấp nhận.', en: 'The kind of data sent is not accepted here.' },
  CORE_ERR_BODY_TOO_LARGE: { vi: 'Dữ liệu gửi lên quá lớn.', en: 'The data sent is too large.' },
  CORE_ERR_BODY_TOO_COMPLEX: { vi: 'Dữ liệu gửi lên lồng nhau quá sâu hoặc có quá nhiều phần tử.', en: 'The data sent is nested too deep or holds too many values.' },
  CORE_ERR_UNKNOWN_FIELD: { vi: 'Có trường thông tin không thuộc biểu mẫu này.', en: 'A field is not part of this form.' },
  CORE_ERR_MISSING_FIELD: { vi: 'Còn thiếu một trường bắt buộc.', en: 'A required field is missing.' },
  CORE_ERR_INVALID_FIELD: { vi: 'Một trường thông tin chưa đúng (kiểu, độ dài hoặc giá trị).', en: 'A field is not right (its type, length or value).' },
  CORE_ERR_UNAUTHENTICATED: { vi: 'Bạn cần đăng nhập (hoặc phiên đăng nhập đã hết hạn).', en: 'Please sign in (or your session has ended).' },
  CORE_ERR_SESSION_ENDED: { vi: 'Phiên làm việc đã kết thúc. Vui lòng đăng nhập lại.', en: 'Your session has ended. Please sign in again.' },
  CORE_ERR_BAD_CREDENTIALS: { vi: 'Tên đăng nhập hoặc mật khẩu không đúng.', en: 'Wrong username or password.' },
  CORE_ERR_TOO_MANY_ATTEMPTS: { vi: 'Bạn đã đăng nhập sai quá nhiều lần. Vui lòng chờ rồi thử lại.', en: 'Too many failed sign-ins. Wait, then try again.' },
  CORE_ERR_ACCOUNT_INACTIVE: { vi: 'Tài khoản đã bị khóa vì lâu không sử dụng. Vui lòng liên hệ quản trị viên đơn vị.', en: 'The account was locked after going unused too long. Ask your unit\'s administrator.' },
  CORE_ERR_WRONG_FACTOR: { vi: 'Mã xác thực hoặc khóa bảo mật không đúng (mỗi mã chỉ dùng một lần).', en: 'The code or security key does not match (each code works once).' },
  CORE_ERR_TICKET_ENDED: { vi: 'Bước đăng nhập đã hết hạn. Vui lòng đăng nhập lại.', en: 'This sign-in step has ended. Please sign in again.' },
  CORE_ERR_STEP_UP_REQUIRED: { vi: 'Thao tác quan trọng: vui lòng xác nhận lại bằng yếu tố xác thực thứ hai.', en: 'An important action: please confirm with your second factor.' },
  CORE_ERR_PASSWORD_REJECTED: { vi: 'Mật khẩu mới không được chấp nhận (quá phổ biến hoặc đã dùng gần đây).', en: 'The new password is not allowed (too common, or used lately).' },
  CORE_ERR_IDENTITY_PROVIDER_FAILED: { vi: 'Đăng nhập qua nhà cung cấp định danh không thành công. Vui lòng thử lại.', en: 'Signing in through the identity provider failed. Please try again.' },
  CORE_ERR_IDENTITY_PROVIDER_EXISTS: { vi: 'Đã có nhà cung cấp định danh với mã này.', en: 'An identity provider with this code exists already.' },
  CORE_ERR_WRONG_CURRENT_PASSWORD: { vi: 'Mật khẩu hiện tại không đúng.', en: 'The current password is wrong.' },
  CORE_ERR_FORBIDDEN: { vi: 'Bạn không có quyền thực hiện thao tác này tại đơn vị này.', en: 'You do not have the right to do this at this unit.' },
  CORE_ERR_ROLE_NOT_HELD: { vi: 'Bạn chỉ cấp hoặc thu hồi được vai trò mà chính bạn có quyền cấp tại đơn vị đó.', en: 'You may grant or revoke only a role you have the right to grant there.' },
  CORE_ERR_UNKNOWN_ROLE: { vi: 'Vai trò này không có tại đơn vị.', en: 'This role does not exist at the unit.' },
  CORE_ERR_ROOT_ONLY_ROLE: { vi: 'Vai trò quản trị nền tảng chỉ cấp ở cấp quốc gia.', en: 'The platform administrator role is granted only at the national level.' },
  CORE_ERR_TENANT_EXISTS: { vi: 'Mã đơn vị này đã được dùng.', en: 'This unit code is taken.' },
  CORE_ERR_ADMIN_UNIT_TAKEN: { vi: 'Mã đơn vị hành chính này đã thuộc về đơn vị khác.', en: 'Another unit already has this administrative unit code.' },
  CORE_ERR_USER_EXISTS: { vi: 'Tên đăng nhập này đã được dùng.', en: 'This username is taken.' },
  CORE_ERR_GRANT_EXISTS: { vi: 'Người dùng đã có vai trò này tại đơn vị; có thể mở rộng hoặc thu hẹp vai trò đó.', en: 'The user already holds this role at the unit; widen or narrow it instead.' },
  CORE_ERR_CERTIFICATE_EXISTS: { vi: 'Chứng thư số này đã được đăng ký.', en: 'This certificate is registered already.' },
  CORE_ERR_REVOCATION_LIST_OLDER: { vi: 'Đã có danh sách thu hồi mới hơn hoặc cùng thời điểm của tổ chức chứng thực này.', en: 'A revocation list as new or newer is held already for this authority.' },
  SBX_ERR_PLUGIN_FAILED: { vi: 'Dịch vụ gặp lỗi khi xử lý yêu cầu. Vui lòng thử lại hoặc báo đơn vị cung cấp.', en: 'The service failed to handle the request. Try again or tell its provider.' },
  SBX_ERR_LOAD_FAILED: { vi: 'Không khởi động được dịch vụ này.', en: 'This service could not be started.' },
  SBX_ERR_TIMEOUT: { vi: 'Dịch vụ xử lý quá lâu và đã bị dừng. Vui lòng thử lại.', en: 'The service took too long and was stopped. Try again.' },
  SBX_ERR_MEMORY_LIMIT: { vi: 'Dịch vụ dùng quá nhiều bộ nhớ và đã bị dừng.', en: 'The service used too much memory and was stopped.' },
  SBX_ERR_WORKER_CRASHED: { vi: 'Dịch vụ bị gián đoạn; hệ thống đã khởi động lại. Vui lòng thử lại.', en: 'The service was interrupted and has restarted. Try again.' },
  SBX_ERR_BAD_RESPONSE: { vi: 'Dịch vụ trả lời không hợp lệ.', en: 'The service gave an invalid answer.' },
  SBX_ERR_HOST_CALL_LIMIT: { vi: 'Dịch vụ vượt quá giới hạn thao tác cho một yêu cầu.', en: 'The service did too many operations for one request.' },
  SBX_ERR_UNAVAILABLE: { vi: 'Dịch vụ tạm thời chưa sẵn sàng. Vui lòng thử lại.', en: 'The service is not available right now. Try again.' },
  SBX_ERR_BAD_REQUEST: { vi: 'Không chuyển được yêu cầu tới dịch vụ.', en: 'The request could not be handed to the service.' },
  EXCH_ERR_NOT_CONFIGURED: { vi: 'Đơn vị chưa cấu hình kết nối tới hệ thống này.', en: 'The unit has not configured the connection to this system.' },
  EXCH_ERR_CIRCUIT_OPEN: { vi: 'Hệ thống liên thông lỗi nhiều lần liên tiếp; tạm dừng gọi, sẽ thử lại sau ít phút.', en: 'The connected system failed repeatedly; calls are paused and resume shortly.' },
  EXCH_ERR_RATE_LIMITED: { vi: 'Gọi hệ thống liên thông quá nhiều lần trong một phút.', en: 'Too many calls to the connected system in a minute.' },
  EXCH_ERR_TIMEOUT: { vi: 'Hệ thống liên thông không trả lời kịp thời gian.', en: 'The connected system did not answer in time.' },
  EXCH_ERR_UNREACHABLE: { vi: 'Không kết nối được tới hệ thống liên thông.', en: 'The connected system could not be reached.' },
  EXCH_ERR_AUTH_FAILED: { vi: 'Hệ thống liên thông từ chối thông tin xác thực của nền tảng.', en: 'The connected system refused the platform\'s credentials.' },
  EXCH_ERR_HASH_MISMATCH: { vi: 'Trả lời của hệ thống liên thông không khớp với yêu cầu đã gửi.', en: 'The connected system\'s answer does not match the request sent.' },
  EXCH_ERR_RESPONSE_TOO_LARGE: { vi: 'Trả lời của hệ thống liên thông quá lớn.', en: 'The connected system\'s answer is too large.' },
  REG_ERR_MANIFEST_INVALID: { vi: 'Tệp khai báo plugin.json chưa đúng; xem từng lỗi được liệt kê.', en: 'plugin.json is not right; see each problem listed.' },
  REG_ERR_PACKAGE_UNREADABLE: { vi: 'Không đọc được thư mục plugin.', en: 'The plugin folder cannot be read.' },
  REG_ERR_PACKAGE_INVALID: { vi: 'Gói plugin vi phạm quy tắc đóng gói.', en: 'The plugin package breaks a packaging rule.' },
  REG_ERR_SCOPE_FORBIDDEN: { vi: 'Bạn không được đăng gói dưới tên của đơn vị này.', en: 'You may not publish under this unit\'s name.' },
  REG_ERR_VERSION_EXISTS: { vi: 'Phiên bản này đã được đăng; hãy tăng số phiên bản.', en: 'This version was published already; raise the version number.' },
  REG_ERR_SELF_REVIEW: { vi: 'Người đăng gói không tự duyệt được; cần một quản trị viên khác.', en: 'The publisher cannot review its own upload; another administrator must.' },
  REG_ERR_WRONG_STATUS: { vi: 'Phiên bản không ở trạng thái cho phép thao tác này.', en: 'The version is not in a state that allows this.' },
  REG_ERR_CHECKS_FAILED: { vi: 'Phiên bản không đạt kiểm tra tự động; chỉ phê duyệt khi chọn bỏ qua và ghi rõ lý do.', en: 'The version failed an automated check; approve it only with an override and its reason.' },
  REG_ERR_REVOKED: { vi: 'Phiên bản dịch vụ này đã bị thu hồi.', en: 'This version of the service was revoked.' },
  REG_ERR_INTEGRITY: { vi: 'Gói lưu trữ không còn khớp với bản đã duyệt; hệ thống từ chối chạy gói này.', en: 'The stored package no longer matches the approved one; it is not run.' },
  REG_ERR_NOT_APPROVED: { vi: 'Chỉ cài được phiên bản đã được duyệt.', en: 'Only an approved version can be installed.' },
  REG_ERR_NOT_INSTALLABLE: { vi: 'Không có phiên bản này để cài cho đơn vị.', en: 'No such version can be installed for this unit.' },
  REG_ERR_PACKAGE_TOO_LARGE: { vi: 'Gói plugin quá lớn.', en: 'The plugin package is too large.' },
}

/** The language a request asks for among those the platform speaks: `vi` or `en` by `Accept-Language`, else English. */
export function preferredLanguage (acceptLanguage: string | undefined): 'vi' | 'en' {
  let best: { language: 'vi' | 'en', q: number } | undefined
  for (const part of (acceptLanguage ?? '').slice(0, 500).split(',')) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';')
    const language = tag.split('-')[0]
    if (language !== 'vi' && language !== 'en') continue
    // A weight that does not read as one counts for nothing.
    const weight = params.map((param) => param.trim()).find((param) => param.startsWith('q='))
    const q = weight === undefined ? 1 : /^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(weight) ? Number(weight.slice(2)) : 0
    if (Number.isFinite(q) && q > 0 && (best === undefined || q > best.q)) best = { language, q }
  }
  return best?.language ?? 'en'
}

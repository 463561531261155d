// The national portal's dossier statuses and the jumps between them it accepts: shared by the plugin, which refuses
// a mapping that breaks them, and its page, which shows them.

export const PORTAL_STATUSES = [
  { code: 1, vi: 'Mới đăng ký', en: 'Newly registered' },
  { code: 2, vi: 'Được tiếp nhận', en: 'Received' },
  { code: 3, vi: 'Không được tiếp nhận', en: 'Not received' },
  { code: 4, vi: 'Đang xử lý', en: 'In process' },
  { code: 5, vi: 'Yêu cầu bổ sung giấy tờ', en: 'Documents requested' },
  { code: 6, vi: 'Yêu cầu thực hiện nghĩa vụ tài chính', en: 'Payment requested' },
  { code: 7, vi: 'Công dân yêu cầu rút hồ sơ', en: 'Withdrawn by the applicant' },
  { code: 8, vi: 'Dừng xử lý', en: 'Processing stopped' },
  { code: 9, vi: 'Đã xử lý xong', en: 'Processed' },
  { code: 10, vi: 'Đã trả kết quả', en: 'Result returned' },
]

/** Where the portal lets a dossier go from each status. */
export const NEXT = {
  1: [2, 3],
  2: [4, 5],
  3: [],
  4: [5, 6, 7, 8, 9],
  5: [4, 7, 8],
  6: [4, 7, 8],
  7: [],
  8: [],
  9: [10],
  10: [],
}

/** Whether the portal lets a dossier go from status `a` to status `b`. */
export const jumpAllowed = (a, b) => (NEXT[a] ?? []).includes(b)

/**
 * What is wrong with mapping `workflow`'s states to portal statuses: a state left unmapped, a first state that is not
 * "newly registered", and each transition whose two statuses the portal may not jump between (a transition that
 * keeps the status sends nothing).
 */
export function illegalJumps (workflow, states) {
  const problems = []
  const says = (field, vi, en) => problems.push({ field, message: { vi, en } })
  for (const state of workflow.states) {
    if (!Number.isInteger(states[state.name])) says(`states/${state.name}`, `Chưa gán trạng thái Cổng cho bước '${state.name}'`, `The step '${state.name}' has no portal status`)
  }
  for (const name of Object.keys(states)) {
    if (!workflow.states.some((state) => state.name === name)) says(`states/${name}`, `Quy trình không có bước '${name}'`, `The workflow has no step '${name}'`)
  }
  if (states[workflow.initial] !== 1) says(`states/${workflow.initial}`, 'Bước đầu tiên phải là "Mới đăng ký" (1)', 'The first step must be "Newly registered" (1)')
  for (const { from, to } of workflow.transitions) {
    const a = states[from]
    const b = states[to]
    if (!Number.isInteger(a) || !Number.isInteger(b) || a === b) continue
    if (!jumpAllowed(a, b)) says(`states/${to}`, `Cổng không cho chuyển từ trạng thái ${a} sang ${b} (bước '${from}' → '${to}')`, `The portal does not allow status ${a} → ${b} (step '${from}' → '${to}')`)
  }
  return problems
}

/** A moment as the portal writes it: yyyyMMddHHmmss in Vietnam's time (UTC+7, no daylight saving). */
export function portalTime (iso) {
  const at = new Date(Date.parse(iso) + 7 * 3600_000).toISOString()
  return at.slice(0, 19).replace(/[-T:]/g, '')
}

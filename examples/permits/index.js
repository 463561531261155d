// Parking permits: a member applies, an officer approves. Documents live in the plugin's own
// storage, scoped by the platform to this tenant and this plugin.
import { log, settings, storage, users } from 'nentang:sdk'

const permits = storage.collection('permits')

const isOfficer = (user) => user !== null && user.roles.includes('officer')

export async function createPermit (request) {
  const { maxPerUser, feePerMonth } = /** @type {{ maxPerUser: number, feePerMonth: number }} */ (settings())
  const owner = request.user.username
  const held = await permits.count({ owner, status: { $ne: 'rejected' } })
  if (held >= maxPerUser) {
    return { status: 409, body: { error: { code: 'PERMITS_LIMIT', message: `at most ${maxPerUser} permits per resident` } } }
  }
  const months = request.body.months ?? 1
  const permit = await permits.insert({
    plate: request.body.plate,
    street: request.body.street,
    months,
    fee: months * feePerMonth,
    owner,
    status: 'pending',
    createdAt: new Date().toISOString(),
  })
  log.info('permit requested', permit._id)
  return { status: 201, body: permit }
}

export async function listPermits (request) {
  const user = await users.current()
  /** @type {import('nentang:sdk').Filter} */
  const filter = {}
  if (typeof request.query.status === 'string') filter.status = request.query.status
  if (typeof request.query.plate === 'string') filter.plate = request.query.plate
  if (!isOfficer(user)) filter.owner = user.username
  const items = await permits.find(filter, { sort: '-createdAt', limit: 100 })
  return { items }
}

export async function getPermit (request) {
  const permit = await permits.get(request.params.id)
  if (permit === null || (!isOfficer(request.user) && permit.owner !== request.user.username)) {
    return { status: 404, body: { error: { code: 'PERMITS_NOT_FOUND', message: 'no such permit' } } }
  }
  return permit
}

export async function approvePermit (request) {
  const permit = await permits.update(request.params.id, {
    status: 'approved',
    approvedBy: request.user.username,
    note: request.body.note ?? null,
  })
  if (permit === null) return { status: 404, body: { error: { code: 'PERMITS_NOT_FOUND', message: 'no such permit' } } }
  return permit
}

export async function stats () {
  return { byStatus: await permits.aggregate({ groupBy: 'status', metrics: { count: { op: 'count' }, fees: { op: 'sum', field: 'fee' } } }) }
}

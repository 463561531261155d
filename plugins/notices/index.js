// A unit's notice board: officers post, anyone reads, pinned notices first, newest first.
import { settings, storage } from 'nentang:sdk'

const notices = storage.collection('notices')

export async function listNotices (request) {
  const { pageSize } = /** @type {{ pageSize: number }} */ (settings())
  const page = Math.max(0, Number.parseInt(request.query.page ?? '0', 10) || 0)
  const items = await notices.find({}, { sort: ['-pinned', '-postedAt'], limit: pageSize, offset: page * pageSize })
  return { items, page }
}

export async function postNotice (request) {
  const notice = await notices.insert({
    title: request.body.title,
    body: request.body.body,
    pinned: request.body.pinned ?? false,
    author: request.user.displayName,
    postedAt: new Date().toISOString(),
  })
  return { status: 201, body: notice }
}

export async function removeNotice (request) {
  const removed = await notices.remove(request.params.id)
  return removed ? { status: 204, body: null } : { status: 404, body: { error: { code: 'NOTICES_NOT_FOUND', message: 'no such notice' } } }
}

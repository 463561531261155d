// @ts-check
// NAME: a handler receives a copy of the request and returns a JSON body (or {status, headers, body}).
import { settings, storage } from 'nentang:sdk'

const items = storage.collection('items')

/** @type {import('./types/plugin').Handler} */
export function hello (request) {
  return { message: `${settings().greeting}, ${request.tenant}!` }
}

/** @type {import('./types/plugin').Handler} */
export async function listItems () {
  return { items: await items.find({}, { sort: '-createdAt', limit: 100 }) }
}

/** @type {import('./types/plugin').Handler<{ title: string, done?: boolean }>} */
export async function createItem (request) {
  const user = request.user
  const item = await items.insert({
    title: request.body.title,
    done: request.body.done ?? false,
    owner: user?.username ?? null,
    createdAt: new Date().toISOString(),
  })
  return { status: 201, body: item }
}

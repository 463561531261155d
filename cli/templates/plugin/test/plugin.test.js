import assert from 'node:assert/strict'
import { test } from 'node:test'
import { call } from './helpers.js'

test('greets anyone, with the installation setting', async () => {
  const response = await call('GET', '/hello')
  assert.equal(response.status, 200)
  assert.equal(response.body.message, 'Xin chào, test!')
})

test('a member creates an item and a user lists it', async () => {
  const created = await call('POST', '/items', { as: 'member', body: { title: 'Giấy tờ cần nộp' } })
  assert.equal(created.status, 201)
  assert.equal(created.body.owner, 'test-member')
  const listed = await call('GET', '/items', { as: 'officer' })
  assert.deepEqual(listed.body.items.map((/** @type {{ title: string }} */ item) => item.title), ['Giấy tờ cần nộp'])
})

test('the body is checked before the plugin runs', async () => {
  const response = await call('POST', '/items', { as: 'member', body: { title: '' } })
  assert.equal(response.status, 422)
  assert.equal(response.body.error.field, 'title')
})

test('signing in is required to list', async () => {
  assert.equal((await call('GET', '/items')).status, 401)
})

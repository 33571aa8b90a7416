// Claims-based channel authorization: the server under test adds a "channels"
// claim at login (["general"], plus "staff" for staff-… emails). Rooms are
// joined with create on "rooms"; messages with a "channel" reach its members only.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { socketClient, uniqueEmail, rejects, delay } from './client.mjs'

const sockets = []
const client = () => {
  const c = socketClient({ transports: ['websocket'] })
  sockets.push(c.socket)
  return c
}
after(() => sockets.forEach((s) => { s.removeAllListeners('disconnect'); s.close() }))

async function member(prefix) {
  const c = client()
  const email = uniqueEmail(prefix)
  await c.app.service('users').create({ email, password: 'secret-pw' })
  const result = await c.app.authenticate({ strategy: 'local', email, password: 'secret-pw' })
  return { ...c, result }
}

test('the claim is in the token', async () => {
  const { result } = await member('staff')
  assert.deepEqual(result.authentication.payload.channels, ['general', 'staff'])
})

test('rooms outside the claim cannot be joined or published to', async () => {
  const { app } = await member('user')
  assert.deepEqual(await app.service('rooms').create({ name: 'general' }), { name: 'general' })
  const join = await rejects(app.service('rooms').create({ name: 'staff' }))
  assert.equal(join.name, 'Forbidden')
  assert.equal(join.message, 'You are not authorized to join the staff channel')
  const publish = await rejects(app.service('messages').create({ text: 'psst', channel: 'staff' }))
  assert.equal(publish.name, 'Forbidden')
  assert.equal(publish.message, 'You are not authorized to publish to the staff channel')
})

test('events for a room reach its members only', async () => {
  const staff = await member('staff')
  const other = await member('staff')
  const outsider = await member('user')
  await staff.app.service('rooms').create({ name: 'staff' })
  await outsider.app.service('rooms').create({ name: 'general' })
  const seen = { staff: [], other: [], outsider: [] }
  staff.app.service('messages').on('created', (m) => seen.staff.push(m.text))
  other.app.service('messages').on('created', (m) => seen.other.push(m.text))
  outsider.app.service('messages').on('created', (m) => seen.outsider.push(m.text))
  await other.app.service('messages').create({ text: 'staff only', channel: 'staff' })
  await other.app.service('messages').create({ text: 'for everyone' })
  await delay(300)
  assert.deepEqual(seen.staff, ['staff only', 'for everyone'])
  assert.deepEqual(seen.other, ['for everyone']) // allowed in the room, but not in it
  assert.deepEqual(seen.outsider, ['for everyone'])
  await staff.app.service('rooms').remove('staff')
  await other.app.service('messages').create({ text: 'after leaving', channel: 'staff' })
  await delay(300)
  assert.ok(!seen.staff.includes('after leaving'))
})

test('messages of a room cannot be changed, moved or removed from outside its claim', async () => {
  const staff = await member('staff')
  const outsider = await member('user')
  const secret = await staff.app.service('messages').create({ text: 'staff only', channel: 'staff' })
  const open = await outsider.app.service('messages').create({ text: 'for everyone' })
  // A room's message is not found from outside, as a get of it is: neither
  // its room nor its existence shows.
  for (const call of [
    () => outsider.app.service('messages').patch(secret._id, { text: 'edited' }),
    () => outsider.app.service('messages').update(secret._id, { text: 'replaced' }),
    () => outsider.app.service('messages').remove(secret._id),
    () => outsider.app.service('messages').get(secret._id)
  ]) {
    const err = await rejects(call())
    assert.equal(err.name, 'NotFound')
    assert.equal(err.message, `No record found for id '${secret._id}'`)
  }
  const moved = await rejects(outsider.app.service('messages').patch(open._id, { channel: 'staff' }))
  assert.equal(moved.name, 'Forbidden')
  assert.equal(moved.message, 'You are not authorized to publish to the staff channel')
  // Neither the author nor update operators can be patched in.
  const bad = await rejects(outsider.app.service('messages').patch(open._id, { userId: staff.result.user._id }))
  assert.equal(bad.name, 'BadRequest')
  const op = await rejects(outsider.app.service('messages').patch(open._id, { $set: { channel: 'staff' } }))
  assert.equal(op.name, 'BadRequest')
  // A member may edit; an update keeps the author and the time.
  const replaced = await staff.app.service('messages').update(secret._id, { text: 'replaced', channel: 'staff', userId: 'someone' })
  assert.equal(replaced.text, 'replaced')
  assert.equal(replaced.userId, secret.userId)
  assert.equal(replaced.createdAt, secret.createdAt)
  assert.equal((await staff.app.service('messages').get(secret._id)).text, 'replaced')
})

test('a ticket in the handshake logs the socket in', async () => {
  const { result } = await member('user')
  const res = await fetch(new URL('/authentication/tickets', process.env.PINION_URL), {
    method: 'POST', headers: { Authorization: `Bearer ${result.accessToken}` }
  })
  const { ticket } = await res.json()
  const c = socketClient({ transports: ['websocket'], auth: { ticket } })
  sockets.push(c.socket)
  const page = await c.app.service('messages').find({ query: { $limit: 1 } })
  assert.equal(typeof page.total, 'number')
})

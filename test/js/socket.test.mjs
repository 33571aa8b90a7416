// The chat app over socket.io with @feathersjs/socketio-client,
// @feathersjs/authentication-client and socket.io-client, unmodified, in the
// transport mode given by SOCKET_TRANSPORTS: "polling,websocket" (the default
// client behaviour: polling, then upgrade), "websocket" or "polling".
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { io } from 'socket.io-client'
import { socketClient, restClient, signupAndLogin, uniqueEmail, rejects, delay, url } from './client.mjs'

const transports = (process.env.SOCKET_TRANSPORTS || 'polling,websocket').split(',')
const sockets = []
const client = (options = {}) => {
  const c = socketClient({ transports, ...options })
  sockets.push(c.socket)
  return c
}
after(() =>
  sockets.forEach((s) => {
    // The authentication client re-authenticates on 'disconnect'; on a socket
    // closed for good that call would only time out.
    s.removeAllListeners('disconnect')
    s.close()
  })
)

// waitFor resolves with the next event of that name, or rejects after ms.
const waitFor = (emitter, event, ms = 5000) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms}ms`)), ms)
    emitter.once(event, (data) => {
      clearTimeout(timer)
      resolve(data)
    })
  })

// silent checks that no event of that name arrives within ms.
const silent = async (emitter, event, ms = 300) => {
  let got
  const fn = (data) => (got = data)
  emitter.on(event, fn)
  await delay(ms)
  emitter.off(event, fn)
  assert.equal(got, undefined, `unexpected '${event}': ${JSON.stringify(got)}`)
}

test('login over the socket and every method', async () => {
  const { app } = client()
  const email = uniqueEmail('socket')
  const user = await app.service('users').create({ email, password: 'secret-pw' })
  assert.equal(user.password, undefined)
  const result = await app.authenticate({ strategy: 'local', email, password: 'secret-pw' })
  assert.equal(result.user.email, email)
  assert.equal(result.authentication.payload.sub, String(user._id))

  const messages = app.service('messages')
  const created = await messages.create({ text: 'over the socket' })
  assert.equal(created.user.email, email)
  assert.equal((await messages.get(created._id)).text, 'over the socket')
  const page = await messages.find({ query: { _id: created._id, $limit: 1 } })
  assert.equal(page.total, 1)
  assert.equal(page.limit, 1)
  assert.equal((await messages.patch(created._id, { text: 'patched' })).text, 'patched')
  assert.equal((await messages.update(created._id, { text: 'updated' })).text, 'updated')
  assert.equal((await messages.remove(created._id))._id, created._id)
  // $sort keeps its key order over the socket: createdAt first, not _id.
  const first = await messages.create({ text: 'first' })
  await new Promise((resolve) => setTimeout(resolve, 5))
  const second = await messages.create({ text: 'second' })
  const sorted = await messages.find({ query: { _id: { $in: [first._id, second._id] }, $sort: { createdAt: -1, _id: 1 } } })
  assert.deepEqual(sorted.data.map((m) => m.text), ['second', 'first'])
  const users = await app.service('users').find({ query: { email } })
  assert.equal(users.data[0].email, email)
  assert.equal(users.data[0].password, undefined)
})

test('errors arrive as Feathers errors', async () => {
  const { app, socket } = client()
  const anonymous = await rejects(app.service('messages').find())
  assert.equal(anonymous.name, 'NotAuthenticated')
  assert.equal(anonymous.message, 'Not authenticated')
  await signupAndLogin(app)
  const cases = [
    [() => app.service('messages').get('000000000000000000000000'), 'NotFound'],
    [() => app.service('messages').find({ query: { $foo: 1 } }), 'BadRequest', 'Invalid filter value $foo'],
    [() => app.service('messages').create({}), 'BadRequest', "Invalid data: 'text' is required"],
    [() => app.service('messages').remove(null), 'MethodNotAllowed', 'Can not remove multiple entries'],
    [() => app.service('messages').update(null, { text: 'x' }), 'BadRequest', "You can not replace multiple instances. Did you mean 'patch'?"],
    [() => app.service('nothing').find(), 'NotFound', "Service 'nothing' not found"],
    [() => app.service('authentication').find(), 'MethodNotAllowed', "Method 'find' not allowed on service 'authentication'"]
  ]
  for (const [call, name, message] of cases) {
    const error = await rejects(call())
    assert.equal(error.name, name, error.message)
    if (message) assert.equal(error.message, message)
  }
  // Raw frames the official client never sends.
  // With ackTimeout set, the callback's first argument is the timeout error.
  const raw = (...args) => new Promise((resolve) => socket.emit(...args, (timeout, ...ack) => resolve(ack)))
  let [err] = await raw('get', 'messages', 'x', {}, 'extra')
  assert.equal(err.name, 'BadRequest')
  assert.equal(err.message, "Too many arguments for 'get' method")
  ;[err] = await raw('find', 42, {})
  assert.equal(err.message, 'Invalid service path')
  ;[err] = await raw('find', 'messages', 'not an object')
  assert.equal(err.name, 'BadRequest')
  ;[err] = await raw('get', 'messages', { an: 'object' }, {})
  assert.equal(err.name, 'BadRequest')
})

test('events reach authenticated connections only, before the ack', async () => {
  const a = client()
  await signupAndLogin(a.app)
  const b = client() // anonymous
  await b.app.service('users').find().catch(() => {})
  const order = []
  const eventForA = waitFor(a.app.service('messages'), 'created').then((m) => order.push('event') && m)
  const created = await a.app.service('messages').create({ text: 'broadcast' })
  order.push('ack')
  const event = await eventForA
  assert.equal(event._id, created._id)
  assert.equal(event.user.password, undefined)
  assert.deepEqual(order, ['event', 'ack'])
  await silent(b.app.service('messages'), 'created')
})

test('logout stops events', async () => {
  const a = client()
  await signupAndLogin(a.app)
  const writer = client()
  await signupAndLogin(writer.app)
  await a.app.logout()
  const p = writer.app.service('messages').create({ text: 'after logout' })
  await silent(a.app.service('messages'), 'created', 500)
  await p
  const error = await rejects(a.app.service('messages').find())
  assert.equal(error.name, 'NotAuthenticated')
})

test('reconnect re-authenticates automatically', async () => {
  const a = client()
  const { result } = await signupAndLogin(a.app)
  const reconnected = waitFor(a.socket.io, 'reconnect', 10000)
  a.socket.io.engine.close() // drop the transport: the client reconnects
  await reconnected
  await delay(100)
  const page = await a.app.service('messages').find({ query: { $limit: 1 } })
  assert.equal(typeof page.total, 'number')
  const writer = client()
  await writer.app.authenticate({ strategy: 'jwt', accessToken: result.accessToken })
  const event = waitFor(a.app.service('messages'), 'created')
  await writer.app.service('messages').create({ text: 'after reconnect' })
  assert.equal((await event).text, 'after reconnect')
})

test('a token in the handshake auth payload logs the connection in', async () => {
  const { result } = await signupAndLogin(restClient())
  const { app } = client({ auth: { token: result.accessToken } })
  const page = await app.service('messages').find({ query: { $limit: 1 } })
  assert.equal(typeof page.total, 'number')
})

test('an Authorization header on the handshake logs the connection in', async (t) => {
  if (!transports.includes('polling')) return t.skip('browsers and the websocket-only Node client send no headers')
  const { result } = await signupAndLogin(restClient())
  const { app } = client({ extraHeaders: { Authorization: `Bearer ${result.accessToken}` } })
  const page = await app.service('messages').find({ query: { $limit: 1 } })
  assert.equal(typeof page.total, 'number')
})

test('a bad handshake token is a connect_error carrying the Feathers error', async () => {
  const socket = io(url, { transports, auth: { token: 'not-a-token' }, reconnection: false })
  sockets.push(socket)
  const error = await waitFor(socket, 'connect_error')
  assert.equal(error.message, 'jwt malformed')
  assert.equal(error.data.name, 'NotAuthenticated')
  assert.equal(error.data.code, 401)
  assert.equal(error.data.data.name, 'JsonWebTokenError')
})

// The chat app over REST with @feathersjs/rest-client and
// @feathersjs/authentication-client, unmodified.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { restClient, uniqueEmail, signupAndLogin, rejects } from './client.mjs'

test('signup: the user comes back without password, with a gravatar avatar', async () => {
  const app = restClient()
  const email = uniqueEmail()
  const user = await app.service('users').create({ email, password: 'pw-12345' })
  assert.equal(user.email, email)
  assert.equal(user.password, undefined)
  assert.match(user.avatar, /^https:\/\/s\.gravatar\.com\/avatar\/[0-9a-f]{32}\?s=60$/)
  assert.ok('_id' in user)
})

test('duplicate signup is a Conflict', async () => {
  const app = restClient()
  const email = uniqueEmail()
  await app.service('users').create({ email, password: 'secret-pw' })
  const error = await rejects(app.service('users').create({ email, password: 'secret-pw' }))
  assert.equal(error.name, 'Conflict')
  assert.equal(error.code, 409)
  assert.equal(error.className, 'conflict')
})

test('login returns the Feathers result and the claims Feathers issues', async () => {
  const app = restClient()
  const { result, user } = await signupAndLogin(app)
  assert.equal(typeof result.accessToken, 'string')
  assert.equal(result.authentication.strategy, 'local')
  const p = result.authentication.payload
  assert.equal(p.sub, String(user._id))
  assert.equal(p.aud, 'https://yourdomain.com')
  assert.equal(p.iss, 'feathers')
  assert.equal(p.exp - p.iat, 86400)
  assert.match(p.jti, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  const header = JSON.parse(Buffer.from(result.accessToken.split('.')[0], 'base64url'))
  assert.deepEqual(header, { alg: 'HS256', typ: 'access' })
  assert.equal(result.user.password, undefined)
  assert.equal(result.user.email, user.email)
})

test('Bearer calls: messages are stamped and carry their user', async () => {
  const app = restClient()
  const { user } = await signupAndLogin(app)
  const message = await app.service('messages').create({ text: 'hello from rest', userId: 'spoofed' })
  assert.equal(message.text, 'hello from rest')
  assert.equal(message.userId, user._id)
  assert.equal(typeof message.createdAt, 'number')
  assert.equal(message.user.email, user.email)
  assert.equal(message.user.password, undefined)

  const got = await app.service('messages').get(message._id)
  assert.equal(got.text, 'hello from rest')
  const page = await app.service('messages').find({ query: { $sort: { createdAt: -1 }, $limit: 5 } })
  assert.equal(page.limit, 5)
  assert.equal(page.skip, 0)
  assert.ok(page.total >= 1)
  assert.equal(page.data[0]._id, message._id)
  const mine = await app.service('messages').find({ query: { userId: user._id, createdAt: { $gte: message.createdAt } } })
  assert.equal(mine.total, 1)
  const patched = await app.service('messages').patch(message._id, { text: 'edited' })
  assert.equal(patched.text, 'edited')
  const removed = await app.service('messages').remove(message._id)
  assert.equal(removed._id, message._id)
  const gone = await rejects(app.service('messages').get(message._id))
  assert.equal(gone.name, 'NotFound')
  assert.equal(gone.message, `No record found for id '${message._id}'`)
})

test('error shapes reach the client as Feathers errors', async () => {
  const app = restClient()
  await signupAndLogin(app)
  const cases = [
    [() => app.service('messages').get('000000000000000000000000'), 'NotFound', 404],
    [() => app.service('messages').find({ query: { $foo: 1 } }), 'BadRequest', 400, 'Invalid filter value $foo'],
    [() => app.service('messages').find({ query: { text: { $regex: 'x' } } }), 'BadRequest', 400, 'Invalid query parameter $regex'],
    [() => app.service('messages').create({ text: '' }), 'BadRequest', 400, "Invalid data: 'text' must not be empty"],
    [() => app.service('messages').remove(null), 'MethodNotAllowed', 405, 'Can not remove multiple entries'],
    [() => app.service('authentication').find(), 'MethodNotAllowed', 405, 'Method `find` is not supported by this endpoint.'],
    [() => app.service('nothing').find(), 'NotFound', 404, 'Page not found']
  ]
  for (const [call, name, code, message] of cases) {
    const error = await rejects(call())
    assert.equal(error.name, name, `${name}: ${error.message}`)
    assert.equal(error.code, code)
    if (message) assert.equal(error.message, message)
  }
  const anonymous = restClient()
  const error = await rejects(anonymous.service('messages').find())
  assert.equal(error.name, 'NotAuthenticated')
  assert.equal(error.message, 'Not authenticated')
  const invalid = await rejects(anonymous.authenticate({ strategy: 'local', email: uniqueEmail(), password: 'x' }))
  assert.equal(invalid.name, 'NotAuthenticated')
  assert.equal(invalid.message, 'Invalid login')
})

test('reAuthenticate gets the same token back and keeps the session', async () => {
  const app = restClient()
  const { result } = await signupAndLogin(app)
  const again = await app.reAuthenticate(true)
  assert.equal(again.accessToken, result.accessToken)
  assert.equal(again.authentication.strategy, 'jwt')
  await app.service('messages').find()
})

test('logout revokes the token: the same token then gets 401', async () => {
  const app = restClient()
  const { result } = await signupAndLogin(app)
  await app.logout()
  const other = restClient()
  const error = await rejects(other.authenticate({ strategy: 'jwt', accessToken: result.accessToken }))
  assert.equal(error.name, 'NotAuthenticated')
  assert.equal(error.message, 'Token has been revoked')
  const call = await rejects(fetch(new URL('/messages', process.env.PINION_URL), { headers: { Authorization: `Bearer ${result.accessToken}` } }).then(async (r) => {
    if (r.status !== 401) throw new Error(`status ${r.status}`)
    throw await r.json()
  }))
  assert.equal(call.name, 'NotAuthenticated')
})

// Sessions on a server whose tokens live 3s, with renewal 1.5s before expiry,
// refresh tokens and the httpOnly cookie enabled.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { io } from 'socket.io-client'
import { socketClient, restClient, uniqueEmail, rejects, delay, url } from './client.mjs'

const sockets = []
after(() => sockets.forEach((s) => { s.removeAllListeners('disconnect'); s.close() }))

async function account() {
  const email = uniqueEmail('session')
  await restClient().service('users').create({ email, password: 'secret-pw' })
  return email
}

test('a socket gets a renewed token before expiry and stays authenticated', async () => {
  const email = await account()
  const { app, socket } = socketClient({ transports: ['websocket'] })
  sockets.push(socket)
  const renewals = []
  socket.on('authentication renewed', ({ accessToken }) => renewals.push(accessToken))
  const { accessToken } = await app.authenticate({ strategy: 'local', email, password: 'secret-pw' })
  await delay(4000) // past the first token's expiry
  assert.ok(renewals.length >= 1, 'no renewal arrived')
  assert.notEqual(renewals[0], accessToken)
  const page = await app.service('messages').find({ query: { $limit: 1 } })
  assert.equal(typeof page.total, 'number')
  // The renewed token works over REST too.
  const r = await fetch(new URL('/messages', url), { headers: { Authorization: `Bearer ${renewals.at(-1)}` } })
  assert.equal(r.status, 200)
})

test('a REST login answers a refresh token that rotates', async () => {
  const email = await account()
  const app = restClient()
  const first = await app.authenticate({ strategy: 'local', email, password: 'secret-pw' })
  assert.ok(first.refreshToken)
  const second = await app.service('authentication').create({ strategy: 'refresh', refreshToken: first.refreshToken })
  assert.notEqual(second.refreshToken, first.refreshToken)
  assert.equal(second.user.email, email)
  const reuse = await rejects(app.service('authentication').create({ strategy: 'refresh', refreshToken: first.refreshToken }))
  assert.equal(reuse.name, 'NotAuthenticated')
  assert.match(reuse.message, /reuse detected/)
})

test('the httpOnly cookie authenticates REST calls and the socket handshake', async () => {
  const email = await account()
  const res = await fetch(new URL('/authentication', url), {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ strategy: 'local', email, password: 'secret-pw' })
  })
  const setCookie = res.headers.get('set-cookie')
  assert.match(setCookie, /^feathers-jwt=[^;]+;.*HttpOnly/)
  assert.match(setCookie, /SameSite=Lax/)
  const cookie = setCookie.split(';')[0]
  const get = await fetch(new URL('/messages', url), { headers: { Cookie: cookie } })
  assert.equal(get.status, 200)
  const crossSite = await fetch(new URL('/messages', url), {
    method: 'POST', headers: { Cookie: cookie, Origin: 'https://evil.example', 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: 'csrf' })
  })
  assert.equal(crossSite.status, 403)
  assert.equal((await crossSite.json()).name, 'Forbidden')

  // Polling lets the Node client send the cookie header on the handshake.
  const { app, socket } = socketClient({ transports: ['polling'], extraHeaders: { Cookie: cookie } })
  sockets.push(socket)
  const page = await app.service('messages').find({ query: { $limit: 1 } })
  assert.equal(typeof page.total, 'number')
  const evil = io(url, { transports: ['polling'], extraHeaders: { Cookie: cookie, Origin: 'https://evil.example' }, reconnection: false })
  sockets.push(evil)
  const error = await new Promise((resolve) => evil.on('connect_error', resolve))
  assert.ok(error, 'a cross-site handshake with the cookie was accepted')
})

test('a logout elsewhere reaches the live socket, which stays connected and anonymous', async () => {
  const email = await account()
  const { accessToken } = await restClient().authenticate({ strategy: 'local', email, password: 'secret-pw' })
  const { app, socket } = socketClient({ transports: ['websocket'] })
  sockets.push(socket)
  const expired = new Promise((resolve) => socket.on('authentication expired', resolve))
  const revoked = new Promise((resolve) => socket.on('authentication revoked', resolve))
  await app.authenticate({ strategy: 'jwt', accessToken })
  // Logging out elsewhere revokes the token: the live socket hears of it at once.
  await fetch(new URL('/authentication', url), { method: 'DELETE', headers: { Authorization: `Bearer ${accessToken}` } })
  const event = await Promise.race([revoked, expired, delay(5000).then(() => null)])
  assert.ok(event, 'no revocation event')
  assert.equal(socket.connected, true)
  const error = await rejects(app.service('messages').find())
  assert.equal(error.name, 'NotAuthenticated')
})

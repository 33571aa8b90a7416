// The socket.io client a page loads from the server (<script
// src="/socket.io/socket.io.js">, as the feathers-chat page does) is the
// pinned socket.io-client, and works: run in a browser-like context, its
// global io() connects to Pinion and carries the Feathers calls of the
// official socketio-client. Node has no XMLHttpRequest, so it uses the
// WebSocket transport (Node 20 needs --experimental-websocket).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import vm from 'node:vm'
import { createRequire } from 'node:module'
import { feathers } from '@feathersjs/feathers'
import socketio from '@feathersjs/socketio-client'
import authentication from '@feathersjs/authentication-client'
import { url, uniqueEmail } from './client.mjs'

const { version } = createRequire(import.meta.url)('socket.io-client/package.json')
const sockets = []
after(() => sockets.forEach((s) => s.close()))

// load runs a served script the way a <script> tag does: in a global scope
// of its own, with the browser globals the client uses.
async function load(path) {
  const res = await fetch(url + path)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'application/javascript; charset=utf-8')
  assert.equal(res.headers.get('etag'), `"${version}"`)
  const source = await res.text()
  const window = { WebSocket, setTimeout, clearTimeout, setInterval, clearInterval, console, location: new URL(url) }
  window.self = window
  vm.createContext(window)
  vm.runInContext(source, window, { filename: path })
  return { window, source }
}

test('GET /socket.io/socket.io.js is the pinned socket.io-client', async () => {
  const { window, source } = await load('/socket.io/socket.io.js')
  assert.ok(source.includes(`Socket.IO v${version}`))
  assert.equal(typeof window.io, 'function')
  assert.equal(typeof window.io.Manager, 'function')
  const res = await fetch(url + '/socket.io/socket.io.js', { headers: { 'If-None-Match': `"${version}"` } })
  assert.equal(res.status, 304)
})

for (const path of ['/socket.io/socket.io.js', '/socket.io/socket.io.min.js']) {
  test(`${path} connects and carries Feathers calls`, async () => {
    const { window } = await load(path)
    // io() with no URL, as on a page, connects to the page's origin.
    const socket = window.io({ transports: ['websocket'], reconnection: false })
    sockets.push(socket)
    const app = feathers()
    app.configure(socketio(socket, { timeout: 10000 }))
    app.configure(authentication())
    const email = uniqueEmail('served')
    await app.service('users').create({ email, password: 'secret-password' })
    const { user } = await app.authenticate({ strategy: 'local', email, password: 'secret-password' })
    assert.equal(user.email, email)
    const message = await app.service('messages').create({ text: `hello from ${path}` })
    assert.equal(message.text, `hello from ${path}`)
    const page = await app.service('messages').find({ query: { _id: message._id } })
    assert.equal(page.data.length, 1)
    await assert.rejects(app.service('messages').create({}), { name: 'BadRequest' })
  })
}

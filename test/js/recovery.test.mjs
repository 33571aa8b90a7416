// Recovery through socket.io-client: a socket that comes back with the
// position of the last event it got receives what it missed, in order,
// before anything new; a position that is not one, or whose events are no
// longer kept, gets 'recovery failed' with the Feathers error. PINION_URL_2,
// another instance on the same JetStream, is where a socket that left the
// first comes back. Unmodified Feathers clients ignore the positions.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { feathers } from '@feathersjs/feathers'
import socketio from '@feathersjs/socketio-client'
import { io } from 'socket.io-client'
import { recoveringSocket } from './recovering.mjs'
import { restClient, socketClient, signupAndLogin, delay, url } from './client.mjs'

const url2 = process.env.PINION_URL_2 || url
const sockets = []
after(() => sockets.forEach((s) => { s.removeAllListeners('disconnect'); s.close() }))

const writer = restClient()
const { result } = await signupAndLogin(writer)
const token = result.accessToken
const post = (text) => writer.service('messages').create({ text })

const waitUntil = async (cond, what, ms = 5000) => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await delay(10)
  }
}

function feathersApp (socket) {
  const app = feathers()
  app.configure(socketio(socket, { timeout: 10000 }))
  return app
}

test('a socket that comes back gets what it missed, in order, before new events', async () => {
  let target = url
  const failures = []
  const socket = recoveringSocket(url, { token: () => token, transports: ['websocket'], reconnectionDelay: 50, onFailed: (e) => failures.push(e) })
  sockets.push(socket)
  const texts = []
  const metas = []
  feathersApp(socket).service('messages').on('created', (message, meta) => {
    texts.push(message.text)
    metas.push(meta)
  })
  await new Promise((resolve) => socket.once('connect', resolve))
  await post('r1')
  await waitUntil(() => texts.length === 1, 'r1')
  assert.match(metas[0].position, /^[a-z0-9]+\.\d+$/)
  assert.ok(metas[0].id)

  socket.disconnect()
  await post('r2')
  await post('r3')
  // It comes back on the other instance when there is one.
  socket.io.uri = url2
  socket.io.opts.hostname = new URL(url2).hostname
  socket.io.opts.port = new URL(url2).port
  target = url2
  socket.connect()
  await new Promise((resolve) => socket.once('connect', resolve))
  assert.equal(String(socket.io.engine.port), new URL(url2).port, 'connected to the second instance')
  await post('r4')
  await waitUntil(() => texts.length >= 4, `r2…r4 from ${target}`)
  await delay(200)
  assert.deepEqual(texts, ['r1', 'r2', 'r3', 'r4'])
  assert.deepEqual(failures, [])
  const seqs = metas.map((m) => Number(m.position.split('.')[1]))
  assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `positions grow: ${seqs}`)
})

const failureFor = async (since) => {
  const socket = io(url, { transports: ['websocket'], auth: { token, since }, reconnection: false })
  sockets.push(socket)
  const error = await new Promise((resolve, reject) => {
    socket.once('recovery failed', resolve)
    setTimeout(() => reject(new Error(`no 'recovery failed' for ${since}`)), 5000)
  })
  socket.close()
  return error
}

test('positions that are not, or whose events are gone, fail recovery with the Feathers error', async () => {
  const position = await new Promise((resolve) => {
    const s = io(url, { transports: ['websocket'], auth: { token } })
    sockets.push(s)
    s.on('messages created', (m, meta) => { s.close(); resolve(meta.position) })
    s.on('connect', () => post('probe'))
  })
  const [epoch, seq] = position.split('.')
  for (const [since, name] of [
    ['garbage', 'BadRequest'],
    [`${epoch}.${Number(seq) + 1000}`, 'BadRequest'], // never handed out
    [`x${epoch}.${seq}`, 'Gone'], // another history
    [`${epoch}.${'9'.repeat(300)}`, 'BadRequest']
  ]) {
    const error = await failureFor(since)
    assert.equal(error.name, name, `${since}: ${JSON.stringify(error)}`)
    assert.ok(!JSON.stringify(error).includes(seq), 'the failure tells nothing of the history')
  }
  // A client that lost its position refetches: the helper tells it.
  const failed = []
  const socket = recoveringSocket(url, { token: () => token, transports: ['websocket'], onFailed: (e) => failed.push(e.name) })
  sockets.push(socket)
  await new Promise((resolve) => socket.once('connect', resolve))
  assert.deepEqual(failed, [])
})

test('an unmodified Feathers client gets its events as before', async () => {
  const { app, socket } = socketClient({ transports: ['websocket'] })
  sockets.push(socket)
  await app.authenticate({ strategy: 'jwt', accessToken: token })
  const got = new Promise((resolve) => app.service('messages').once('created', (...args) => resolve(args)))
  await post('plain')
  const [message, meta] = await got
  assert.equal(message.text, 'plain')
  assert.equal(typeof meta.position, 'string') // there, for whoever wants it
})

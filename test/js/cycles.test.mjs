// socket.io-client connections that come and go, as a page that is opened and
// closed does: connect (logged in by the handshake with PINION_TOKEN), call a
// method, disconnect(). CYCLES of them in the transport mode SOCKET_TRANSPORTS,
// PARALLEL at a time. The Go test around it counts what the server holds after.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { io } from 'socket.io-client'
import { url, delay } from './client.mjs'

const transports = (process.env.SOCKET_TRANSPORTS || 'polling,websocket').split(',')
const cycles = Number(process.env.CYCLES || 10)
const parallel = Number(process.env.PARALLEL || 4)
const token = process.env.PINION_TOKEN

// within rejects when promise has not settled in ms: a cycle that hangs says
// at which step, and in which engine state, instead of the run being killed.
function within(ms, step, socket, promise) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const engine = socket.io.engine
      reject(new Error(`${step}: nothing after ${ms} ms (engine ${engine?.id} ${engine?.readyState} over ${engine?.transport?.name}, upgrading ${engine?.upgrading})`))
    }, ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

// timeline records what the connection's engine sent and received, and the
// polls of its polling transport, in ms since it was made: a failed cycle
// shows it.
function timeline(engine) {
  const start = performance.now()
  const events = []
  const note = (what) => events.push(`${Math.round(performance.now() - start)}ms ${what}`)
  const data = (p) => (p.data === undefined ? '' : ` ${String(p.data).slice(0, 40)}`)
  engine.on('packet', (p) => note(`< ${p.type}${data(p)} (${engine.transport?.name})`))
  engine.on('packetCreate', (p) => note(`> ${p.type}${data(p)}`))
  engine.on('upgrading', (t) => note(`upgrading to ${t.name}`))
  engine.on('upgrade', (t) => note(`upgraded to ${t.name}`))
  engine.on('upgradeError', (err) => note(`upgrade failed: ${err.message}`))
  engine.on('close', (reason) => note(`closed: ${reason}`))
  const polling = engine.transport
  for (const event of ['poll', 'pollComplete', 'drain']) polling.on(event, () => note(`polling ${event}`))
  return events
}

async function cycle() {
  const socket = io(url, { transports, auth: { token }, reconnection: false, forceNew: true })
  const events = timeline(socket.io.engine)
  try {
    await within(10000, 'connect', socket, new Promise((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('connect_error', reject)
    }))
    if (transports.length > 1) {
      // Leave once upgraded, as most pages do.
      const engine = socket.io.engine
      if (engine.transport.name !== 'websocket') {
        await within(10000, 'upgrade', socket, new Promise((resolve, reject) => {
          engine.once('upgrade', resolve)
          engine.once('upgradeError', reject)
          engine.once('close', (reason) => reject(new Error(`closed before the upgrade: ${reason}`)))
        }))
      }
    }
    const [err, page] = await new Promise((resolve, reject) =>
      socket.timeout(10000).emit('find', 'messages', {}, (timeout, err, page) => (timeout ? reject(timeout) : resolve([err, page])))
    )
    assert.equal(err, null)
    assert.ok(Array.isArray(page.data))
  } catch (err) {
    err.message += `\nengine ${socket.io.engine.id}:\n  ${events.join('\n  ')}`
    throw err
  } finally {
    socket.disconnect()
  }
}

test(`${cycles} connections come and go (${transports})`, async () => {
  let next = 0
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < cycles) {
        next++
        await cycle()
      }
    })
  )
  // A polling client sends its close in a request of its own, after
  // disconnect() returns; the process must not end before it went out, or
  // the server would wait for the session's ping timeout.
  await delay(1000)
})

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

async function cycle() {
  const socket = io(url, { transports, auth: { token }, reconnection: false, forceNew: true })
  try {
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('connect_error', reject)
    })
    if (transports.length > 1) {
      // Leave once upgraded, as most pages do.
      if (socket.io.engine.transport.name !== 'websocket') {
        await new Promise((resolve) => socket.io.engine.once('upgrade', resolve))
      }
    }
    const [err, page] = await new Promise((resolve, reject) =>
      socket.timeout(10000).emit('find', 'messages', {}, (timeout, err, page) => (timeout ? reject(timeout) : resolve([err, page])))
    )
    assert.equal(err, null)
    assert.ok(Array.isArray(page.data))
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

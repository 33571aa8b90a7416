// The Node load generator of `go run ./bench` (the other is Go's, in
// bench/sockets.go): plain socket.io-client sockets over WebSocket, logged
// in with `create authentication` (jwt), as the Feathers client does, so the
// same generator serves Pinion and Feathers.
//
//   node load-generator.mjs fanout <url> <token> <sockets> <events>
//     n listeners and one writer; the writer creates <events> messages,
//     200ms apart; prints {"p50","p99","received","want"} (ms, from just
//     before the create to each listener's receipt).
//   node load-generator.mjs idle <url> <token> <sockets>
//     opens the sockets, prints {"open": n}, and holds them until stdin
//     closes.
import { io } from 'socket.io-client'

const [mode, url, token, count, events = '30'] = process.argv.slice(2)
const n = Number(count)

// open resolves with a logged-in socket, or rejects after 15s: a CONNECT or
// an ack the server dropped would otherwise wait forever.
function open (onEvent) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], reconnection: false, timeout: 15000 })
    const timer = setTimeout(() => fail(new Error('no login within 15s')), 15000)
    const fail = (err) => { clearTimeout(timer); socket.close(); reject(err) }
    socket.once('connect_error', fail)
    socket.once('connect', () => {
      socket.emit('create', 'authentication', { strategy: 'jwt', accessToken: token }, {}, (err) => {
        if (err) return fail(new Error(JSON.stringify(err)))
        clearTimeout(timer)
        resolve(socket)
      })
    })
    if (onEvent) socket.on('messages created', onEvent)
  })
}

let retries = 0

async function openMany (count, onEvent) {
  const sockets = []
  for (let i = 0; i < count; i += 100) {
    const batch = []
    for (let j = i; j < Math.min(count, i + 100); j++) {
      // Two retries, as the Go generator; retries are counted.
      batch.push(open(onEvent).catch(() => { retries++; return open(onEvent) }).catch(() => { retries++; return open(onEvent) }))
    }
    sockets.push(...(await Promise.all(batch)))
  }
  return sockets
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

if (mode === 'fanout') {
  const sent = new Map()
  const latencies = []
  let received = 0
  const listeners = await openMany(n, (message) => {
    const at = performance.now()
    const start = sent.get(message.text)
    if (start !== undefined) latencies.push(at - start)
    received++
  })
  const [writer] = await openMany(1)
  await delay(1000)
  for (let i = 0; i < Number(events); i++) {
    const text = `fan-out ${i} ${Date.now()}`
    sent.set(text, performance.now())
    await new Promise((resolve) => writer.emit('create', 'messages', { text }, {}, resolve))
    await delay(200)
  }
  await delay(1000)
  latencies.sort((a, b) => a - b)
  const at = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0
  console.log(JSON.stringify({ p50: at(0.5), p99: at(0.99), received, want: n * Number(events), retries }))
  for (const s of [...listeners, writer]) s.close()
  process.exit(0)
} else if (mode === 'idle') {
  const sockets = await openMany(n)
  console.log(JSON.stringify({ open: sockets.length, retries }))
  process.stdin.resume()
  process.stdin.on('end', () => { for (const s of sockets) s.close(); process.exit(0) })
} else {
  console.error('mode: fanout or idle')
  process.exit(2)
}

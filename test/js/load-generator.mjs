// The Node load generator of `go run ./bench` (the other is Go's, in
// bench/sockets.go): plain socket.io-client sockets over WebSocket, logged
// in with `create authentication` (jwt), as the Feathers client does, so the
// same generator serves Pinion and Feathers.
//
//   node load-generator.mjs fanout <sockets> <events> <gap ms> <url> <token> [<url> <token>…]
//     n listeners and one writer on each server; the writers take turns:
//     each creates a message, then waits <gap ms>, <events> rounds, the
//     servers' order alternating from one round to the next; prints one
//     {"p50","p99","received","want"} per server, in a JSON array (ms, from
//     just before the create to each listener's receipt). The listeners are
//     spread over one worker thread per core, as the Go generator's
//     goroutines are spread over the cores: one thread decoding 1,000
//     frames an event takes longer than either server takes to send them,
//     and would measure itself. Times are the machine's clock
//     (performance.timeOrigin + now()), the same in every thread.
//   node load-generator.mjs idle <url> <token> <sockets>
//     opens the sockets, prints {"open": n}, and holds them until stdin
//     closes.
import { io } from 'socket.io-client'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import os from 'node:os'

const [mode, ...args] = isMainThread ? process.argv.slice(2) : ['fanout-listeners']
const clock = () => performance.timeOrigin + performance.now()

// open resolves with a logged-in socket, or rejects after 15s: a CONNECT or
// an ack the server dropped would otherwise wait forever.
function open (url, token, onEvent) {
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

async function openMany (url, token, count, onEvent) {
  const sockets = []
  for (let i = 0; i < count; i += 100) {
    const batch = []
    for (let j = i; j < Math.min(count, i + 100); j++) {
      // Two retries, as the Go generator; retries are counted.
      batch.push(open(url, token, onEvent).catch(() => { retries++; return open(url, token, onEvent) }).catch(() => { retries++; return open(url, token, onEvent) }))
    }
    sockets.push(...(await Promise.all(batch)))
  }
  return sockets
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

if (mode === 'fanout-listeners') {
  // A worker thread: its share of each server's listeners; it notes when
  // each event reaches each of them, and reports when asked.
  const { servers, count } = workerData
  const receipts = servers.map(() => [])
  const listeners = []
  for (const [i, [url, token]] of servers.entries()) {
    listeners.push(...await openMany(url, token, count, (message) => receipts[i].push([message.text, clock()])))
  }
  parentPort.postMessage({ ready: true, retries })
  parentPort.once('message', () => {
    parentPort.postMessage({ receipts })
    for (const s of listeners) s.close()
    parentPort.close()
  })
} else if (mode === 'fanout') {
  const [count, events, gap, ...servers] = args
  const n = Number(count)
  const pairs = []
  for (let i = 0; i + 1 < servers.length; i += 2) pairs.push([servers[i], servers[i + 1]])
  const threads = Math.max(1, Math.min(n, os.availableParallelism()))
  const workers = []
  for (let t = 0; t < threads; t++) {
    const share = Math.floor(n / threads) + (t < n % threads ? 1 : 0)
    workers.push(new Worker(new URL(import.meta.url), { workerData: { servers: pairs, count: share } }))
  }
  const next = (w) => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject) })
  for (const m of await Promise.all(workers.map(next))) retries += m.retries
  const sides = []
  for (const [url, token] of pairs) {
    const [writer] = await openMany(url, token, 1)
    sides.push({ writer, sent: new Map() })
  }
  await delay(1000)
  for (let i = 0; i < Number(events); i++) {
    const order = i % 2 === 0 ? sides : [...sides].reverse()
    for (const side of order) {
      const text = `fan-out ${i} ${Date.now()}`
      side.sent.set(text, clock())
      await new Promise((resolve) => side.writer.emit('create', 'messages', { text }, {}, resolve))
      await delay(Number(gap))
    }
  }
  await delay(1000)
  const reports = await Promise.all(workers.map((w) => { const r = next(w); w.postMessage('report'); return r }))
  // The retries are counted once, with the first server.
  const results = sides.map(({ sent }, i) => {
    const latencies = []
    let received = 0
    for (const { receipts } of reports) {
      for (const [text, at] of receipts[i]) {
        received++
        const start = sent.get(text)
        if (start !== undefined) latencies.push(at - start)
      }
    }
    latencies.sort((a, b) => a - b)
    const at = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0
    return { p50: at(0.5), p99: at(0.99), received, want: n * Number(events), retries: i === 0 ? retries : 0 }
  })
  console.log(JSON.stringify(results))
  for (const side of sides) side.writer.close()
  process.exit(0)
} else if (mode === 'idle') {
  const [url, token, count] = args
  const sockets = await openMany(url, token, Number(count))
  console.log(JSON.stringify({ open: sockets.length, retries }))
  process.stdin.resume()
  process.stdin.on('end', () => { for (const s of sockets) s.close(); process.exit(0) })
} else {
  console.error('mode: fanout or idle')
  process.exit(2)
}

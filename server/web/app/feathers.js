// A small client of the Feathers socket protocol, over the socket.io client
// that the server itself serves (/socket.io/socket.io.esm.min.js). A call is
// emit(method, path, ...args, ack) and its answer is ack(error) or
// ack(null, result); a service event arrives as "<path> <event>" with one
// argument (docs/beyond-feathers.md, and the Feathers wire contract).
import { io } from '/socket.io/socket.io.esm.min.js'

// How long a call waits for its answer before it fails.
const TIMEOUT = 15000

// FeathersError is an error answered by the server: name, message, code
// (the HTTP status), className, data and errors, as Feathers sends them.
export class FeathersError extends Error {
  constructor (e = {}) {
    super(typeof e.message === 'string' && e.message !== '' ? e.message : 'Error')
    this.name = typeof e.name === 'string' ? e.name : 'Error'
    this.code = typeof e.code === 'number' ? e.code : 500
    this.className = e.className
    this.data = e.data
    this.errors = e.errors
  }
}

// connect opens the socket to the page's own origin.
export function connect () {
  const socket = io({ reconnectionDelayMax: 5000 })

  const call = (method, path, ...args) => new Promise((resolve, reject) => {
    socket.timeout(TIMEOUT).emit(method, path, ...args, (timedOut, error, result) => {
      if (timedOut) {
        reject(new FeathersError({ name: 'Timeout', code: 408, message: 'The server did not answer in time' }))
      } else if (error) {
        reject(new FeathersError(error))
      } else {
        resolve(result)
      }
    })
  })

  const service = (path) => ({
    find: (query = {}) => call('find', path, query),
    get: (id, query = {}) => call('get', path, id, query),
    create: (data, query = {}) => call('create', path, data, query),
    patch: (id, data, query = {}) => call('patch', path, id, data, query),
    remove: (id, query = {}) => call('remove', path, id, query),
    on: (event, fn) => socket.on(`${path} ${event}`, fn)
  })

  return { socket, service }
}

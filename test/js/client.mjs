// Shared helpers for the end-to-end tests: a Feathers client app pointed at the
// Pinion server under test (PINION_URL), built only from the official clients.
import { feathers } from '@feathersjs/feathers'
import rest from '@feathersjs/rest-client'
import socketio from '@feathersjs/socketio-client'
import authentication from '@feathersjs/authentication-client'
import { io } from 'socket.io-client'

export const url = process.env.PINION_URL || 'http://localhost:3030'

export function restClient(options = {}) {
  const app = feathers()
  app.configure(rest(url).fetch(fetch))
  app.configure(authentication(options))
  return app
}

// transports: ['polling', 'websocket'] (default: polling then upgrade), ['websocket'] or ['polling'].
export function socketClient({ transports, auth, extraHeaders, ...authOptions } = {}) {
  const socket = io(url, { transports, auth, extraHeaders, reconnectionDelay: 50, reconnectionDelayMax: 200, ackTimeout: 10000 })
  const app = feathers()
  app.configure(socketio(socket, { timeout: 10000 }))
  app.configure(authentication(authOptions))
  return { app, socket }
}

let n = 0
export const uniqueEmail = (prefix = 'user') => `${prefix}-${process.pid}-${Date.now()}-${n++}@example.com`

export async function signupAndLogin(app, password = 'secret-password') {
  const email = uniqueEmail()
  const user = await app.service('users').create({ email, password })
  const result = await app.authenticate({ strategy: 'local', email, password })
  return { email, password, user, result }
}

// rejects resolves with the error a promise rejects with, or fails.
export async function rejects(promise) {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

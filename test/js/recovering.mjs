// The recovery helper of docs/realtime.md: a socket.io-client socket that
// remembers the position of the last event it got and, whenever it
// (re)connects, sends it with its token, so that Pinion sends what it missed
// first; onFailed runs when it cannot (refetch then).
import { io } from 'socket.io-client'

export function recoveringSocket (url, { token, onFailed, ...options } = {}) {
  let since = null
  const socket = io(url, { ...options, auth: (cb) => cb({ token: token(), since }) })
  socket.onAny((event, data, meta) => { if (meta && meta.position) since = meta.position })
  socket.on('recovery failed', (error) => { since = null; onFailed?.(error) })
  return socket
}

// A client of examples/notes, type-checked by TestTypeScriptClientTypes
// against the types Pinion generates for it (./services.ts, from
// `go run ./examples/notes types`): its typed custom method above all. It
// is compiled, not run.
import { feathers } from '@feathersjs/feathers'
import rest from '@feathersjs/rest-client'
import socketio from '@feathersjs/socketio-client'
import { io } from 'socket.io-client'
import { serviceMethods } from './services'
import type { ServiceTypes, Notes } from './services'

const client = feathers<ServiceTypes>().configure(rest('http://localhost:3030').fetch(fetch))
const socket = feathers<ServiceTypes>().configure(socketio(io('http://localhost:3030')))
client.use('notes', client.service('notes'), { methods: [...serviceMethods.notes] })

export async function notes(): Promise<string> {
  const note: Notes = await client.service('notes').create({ title: 'first' })
  const archived: Notes = await client.service('notes').archive({ _id: note._id, reason: 'done' })
  const again: Notes = await socket.service('notes').archive({ _id: note._id })

  // @ts-expect-error: archive acts on one note: it needs its _id
  await client.service('notes').archive({ reason: 'done' })
  // @ts-expect-error: the reason is a string
  await client.service('notes').archive({ _id: note._id, reason: 5 })
  // @ts-expect-error: archive takes one object, not a list
  await client.service('notes').archive([{ _id: note._id }])
  // @ts-expect-error: the owner is the server's to set
  await client.service('notes').create({ title: 'x', ownerId: 'someone' })
  // @ts-expect-error: archive answers a note, which has no such field
  archived.nope
  return archived.ownerId + again.author
}

// A client of examples/todos, type-checked by TestTypeScriptClientTypes
// against the types Pinion generates for it (./services.ts, from
// `go run ./examples/todos types`). It is compiled, not run.
import { feathers } from '@feathersjs/feathers'
import rest from '@feathersjs/rest-client'
import socketio from '@feathersjs/socketio-client'
import { io } from 'socket.io-client'
import type { ServiceTypes, Todos, TodosQuery } from './services'

const client = feathers<ServiceTypes>().configure(rest('http://localhost:3030').fetch(fetch))
const socket = feathers<ServiceTypes>().configure(socketio(io('http://localhost:3030')))

export async function todos(): Promise<number> {
  const todo: Todos = await client.service('todos').create({ title: 'write docs' })
  const done: Todos = await socket.service('todos').patch(todo.id, { done: true })
  const query: TodosQuery = {
    done: false,
    title: { $in: ['a', 'b'] },
    id: { $gte: 1, $ne: 3 },
    $or: [{ title: 'a' }, { done: true }],
    $sort: { id: -1 },
    $select: ['id', 'title'],
    $limit: 10,
    $skip: 0
  }
  const list: Todos[] = await client.service('todos').find({ query })
  const replaced: Todos = await client.service('todos').update(todo.id, { title: 'again', done: false })
  const removed: Todos = await socket.service('todos').remove(todo.id)

  // @ts-expect-error: a todo's title is a string
  await client.service('todos').create({ title: 42 })
  // @ts-expect-error: a todo needs a title
  await client.service('todos').create({ done: true })
  // @ts-expect-error: the id is read-only: not in create data
  await client.service('todos').create({ title: 'x', id: 7 })
  // @ts-expect-error: nor in a patch
  await client.service('todos').patch(todo.id, { id: 7 })
  // @ts-expect-error: done is a boolean in queries too
  await client.service('todos').find({ query: { done: 'yes' } })
  // @ts-expect-error: booleans have no $gt
  await client.service('todos').find({ query: { done: { $gt: false } } })
  // @ts-expect-error: $sort names fields
  await client.service('todos').find({ query: { $sort: { nope: 1 } } })
  // @ts-expect-error: this find is not paginated: it answers a list
  ;(await client.service('todos').find()).total
  // @ts-expect-error: records are read-only where the server sets them
  todo.id = 3
  // @ts-expect-error: the service creates one todo at a time (no multi create)
  await client.service('todos').create([{ title: 'a' }, { title: 'b', done: true }])
  // @ts-expect-error: nor removes many
  await client.service('todos').remove(null)
  return list.length + done.id + replaced.id + removed.id
}

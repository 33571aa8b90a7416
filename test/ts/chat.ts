// A client of the chat app, type-checked by TestTypeScriptClientTypes
// against the types Pinion generates for it (./services.ts, from
// `go run ./cmd/server types`). It is compiled, not run.
import { feathers } from '@feathersjs/feathers'
import rest from '@feathersjs/rest-client'
import socketio from '@feathersjs/socketio-client'
import authentication from '@feathersjs/authentication-client'
import { io } from 'socket.io-client'
import { serviceMethods, type Messages, type ServiceTypes } from './services'

const restClient = feathers<ServiceTypes>()
restClient.configure(rest('http://localhost:3030').fetch(fetch))
restClient.configure(authentication())

const socketClient = feathers<ServiceTypes>()
socketClient.configure(socketio(io('http://localhost:3030')))
socketClient.use('messages', socketClient.service('messages'), { methods: serviceMethods.messages })

export async function chat(): Promise<string> {
  const user = await restClient.service('users').create({ email: 'ada@example.com', password: 'correct horse' })
  const id: string | number = user._id
  const login = await restClient
    .service('authentication')
    .create({ strategy: 'local', email: user.email, password: 'correct horse' })
  const token: string = login.accessToken
  await socketClient.service('authentication').create({ strategy: 'jwt', accessToken: token })
  const message: Messages = await socketClient.service('messages').create({ text: 'Hello', channel: 'general' })
  const page = await socketClient.service('messages').find({ query: { $limit: 5, $sort: { createdAt: -1 } } })
  const total: number = page.total
  const first: string | undefined = page.data[0]?.text
  await socketClient.service('rooms').create({ name: 'general' })
  socketClient.service('messages').on('created', (m: Messages) => m.text)
  const recent = await restClient.service('messages').find({ query: { createdAt: { $gt: Date.now() - 60_000 }, $limit: 10 } })
  const author: string | undefined = recent.data[0]?.user?.email
  const logout = await restClient.service('authentication').remove(null)
  const revoked: string = logout.accessToken

  // @ts-expect-error: $limit is a number
  await restClient.service('messages').find({ query: { $limit: 'ten' } })
  // @ts-expect-error: a query names the fields of a message
  await restClient.service('messages').find({ query: { txet: 'hi' } })
  // @ts-expect-error: logging out answers one result, not a list
  ;(await restClient.service('authentication').remove(null)).map((r: unknown) => r)
  // @ts-expect-error: a login is one object, not a list
  await restClient.service('authentication').create([{ strategy: 'local', email: user.email, password: 'correct horse' }])

  // @ts-expect-error: a message's text is a string
  await restClient.service('messages').create({ text: 42 })
  // @ts-expect-error: a login names its strategy
  await restClient.service('authentication').create({ email: user.email, password: 'x' })
  // @ts-expect-error: users are answered without their password
  user.password
  // @ts-expect-error: a user's id is the server's
  user._id = 1
  // @ts-expect-error: rooms cannot be found, only joined and left
  await socketClient.service('rooms').find()
  // @ts-expect-error: no such service
  restClient.service('nothing')
  return `${id} ${message.text} ${total} ${first} ${author} ${revoked}`
}

// A real FeathersJS v5 server with the shape of Pinion's default app and of the
// feathers-chat server (the same shape as the workplace's Feathers reference):
// users with a gravatar avatar, bcrypt passwords and protect('password'); messages
// behind authenticate('jwt'), stamped with userId and createdAt, carrying their
// sender as `user`; REST on Koa and socket.io; anonymous/authenticated channels.
// It serves the interoperability test (MONGODB_URL shared with Pinion) and the
// side-by-side benchmarks. Storage: MongoDB at MONGODB_URL, else memory.
import { feathers } from '@feathersjs/feathers'
import { koa, rest, bodyParser, errorHandler } from '@feathersjs/koa'
import socketio from '@feathersjs/socketio'
import { AuthenticationService, JWTStrategy, authenticate } from '@feathersjs/authentication'
import { LocalStrategy, hooks as localHooks } from '@feathersjs/authentication-local'
import { MemoryService } from '@feathersjs/memory'
import { MongoDBService } from '@feathersjs/mongodb'
import { MongoClient } from 'mongodb'
import { createHash } from 'node:crypto'

const app = koa(feathers())
app.set('authentication', {
  secret: process.env.AUTH_SECRET || 'reference-secret-reference-secret-0123456789',
  entity: 'user', service: 'users', authStrategies: ['jwt', 'local'],
  jwtOptions: { header: { typ: 'access' }, audience: 'https://yourdomain.com', issuer: 'feathers', algorithm: 'HS256', expiresIn: '1d' },
  local: { usernameField: 'email', passwordField: 'password' }
})
app.set('paginate', { default: 10, max: 50 })
app.use(errorHandler())
app.use(bodyParser())
app.configure(rest())
app.configure(socketio({ cors: { origin: '*' } }))

let client
let makeService = () => new MemoryService({ paginate: app.get('paginate'), multi: true, id: '_id' })
if (process.env.MONGODB_URL) {
  client = await MongoClient.connect(process.env.MONGODB_URL)
  const db = client.db()
  makeService = (name) => new MongoDBService({ Model: Promise.resolve(db.collection(name)), paginate: app.get('paginate'), multi: true })
}

const auth = new AuthenticationService(app)
auth.register('jwt', new JWTStrategy())
auth.register('local', new LocalStrategy())
app.use('authentication', auth)

const avatarFor = (email) => `https://s.gravatar.com/avatar/${createHash('md5').update(String(email).toLowerCase()).digest('hex')}?s=60`
const setAvatar = async (ctx) => {
  const set = (d) => ({ ...d, avatar: avatarFor(d.email) })
  ctx.data = Array.isArray(ctx.data) ? ctx.data.map(set) : set(ctx.data)
}
const populateUser = async (ctx) => {
  const withUser = async (m) => {
    const { password, ...user } = await ctx.app.service('users').get(m.userId)
    return { ...m, user }
  }
  const r = ctx.result
  if (r && Array.isArray(r.data)) r.data = await Promise.all(r.data.map(withUser))
  else if (Array.isArray(r)) ctx.result = await Promise.all(r.map(withUser))
  else if (r && r.userId !== undefined) ctx.result = await withUser(r)
}

app.use('users', makeService('users'))
app.service('users').hooks({
  around: { find: [authenticate('jwt')], get: [authenticate('jwt')], update: [authenticate('jwt')], patch: [authenticate('jwt')], remove: [authenticate('jwt')] },
  before: {
    create: [setAvatar, localHooks.hashPassword('password')],
    update: [localHooks.hashPassword('password')],
    patch: [localHooks.hashPassword('password')]
  },
  after: { all: [localHooks.protect('password')] }
})
app.use('messages', makeService('messages'))
app.service('messages').hooks({
  around: { all: [authenticate('jwt')] },
  before: { create: [async (ctx) => { ctx.data = { text: ctx.data.text, userId: ctx.params.user._id, createdAt: Date.now() } }] },
  after: { all: [populateUser] }
})

app.on('connection', (connection) => app.channel('anonymous').join(connection))
app.on('login', (authResult, { connection }) => {
  if (connection) { app.channel('anonymous').leave(connection); app.channel('authenticated').join(connection) }
})
app.publish(() => app.channel('authenticated'))

const server = await app.listen(Number(process.env.PORT || 3031))
console.log(`listening on ${server.address().port}`)
process.on('SIGTERM', async () => { await client?.close(); process.exit(0) })

// A real FeathersJS v5 server with the shape of Pinion's default app (the
// feathers-chat server), used to prove that Feathers and Pinion accept each
// other's tokens and password hashes. Storage: MongoDB at MONGODB_URL (shared
// with Pinion in the interoperability test), else memory.
import { feathers } from '@feathersjs/feathers'
import { koa, rest, bodyParser, errorHandler } from '@feathersjs/koa'
import { AuthenticationService, JWTStrategy, authenticate } from '@feathersjs/authentication'
import { LocalStrategy, hooks as localHooks } from '@feathersjs/authentication-local'
import { MemoryService } from '@feathersjs/memory'
import { MongoDBService } from '@feathersjs/mongodb'
import { MongoClient } from 'mongodb'
import { createHash } from 'node:crypto'

const app = koa(feathers())
app.set('authentication', {
  secret: process.env.AUTH_SECRET,
  entity: 'user', service: 'users', authStrategies: ['jwt', 'local'],
  jwtOptions: { header: { typ: 'access' }, audience: 'https://yourdomain.com', issuer: 'feathers', algorithm: 'HS256', expiresIn: '1d' },
  local: { usernameField: 'email', passwordField: 'password' }
})
app.set('paginate', { default: 10, max: 50 })
app.use(errorHandler())
app.use(bodyParser())
app.configure(rest())

let client
let makeService = () => new MemoryService({ paginate: app.get('paginate'), multi: true, id: '_id' })
if (process.env.MONGODB_URL) {
  client = await MongoClient.connect(process.env.MONGODB_URL)
  const db = client.db()
  makeService = (name) => new MongoDBService({ Model: Promise.resolve(db.collection(name)), paginate: app.get('paginate') })
}

const auth = new AuthenticationService(app)
auth.register('jwt', new JWTStrategy())
auth.register('local', new LocalStrategy())
app.use('authentication', auth)

const avatarFor = (email) => `https://s.gravatar.com/avatar/${createHash('md5').update(String(email).toLowerCase()).digest('hex')}?s=60`
app.use('users', makeService('users'))
app.service('users').hooks({
  around: { find: [authenticate('jwt')], get: [authenticate('jwt')], patch: [authenticate('jwt')], remove: [authenticate('jwt')] },
  before: {
    create: [async (ctx) => { ctx.data = { ...ctx.data, avatar: avatarFor(ctx.data.email) } }, localHooks.hashPassword('password')],
    patch: [localHooks.hashPassword('password')]
  },
  after: { all: [localHooks.protect('password')] }
})
app.use('messages', makeService('messages'))
app.service('messages').hooks({
  around: { all: [authenticate('jwt')] },
  before: { create: [async (ctx) => { ctx.data = { text: ctx.data.text, userId: ctx.params.user._id, createdAt: Date.now() } }] }
})

const server = await app.listen(Number(process.env.PORT))
console.log(`listening on ${server.address().port}`)
process.on('SIGTERM', async () => { await client?.close(); process.exit(0) })

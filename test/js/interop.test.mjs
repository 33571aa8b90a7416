// Feathers and Pinion share one MongoDB and one secret: a deployment can move
// between them without logging anyone out. Users, password hashes and tokens
// made by either work on the other.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { feathers } from '@feathersjs/feathers'
import rest from '@feathersjs/rest-client'
import authentication from '@feathersjs/authentication-client'
import { uniqueEmail } from './client.mjs'

const client = (url) => feathers().configure(rest(url).fetch(fetch)).configure(authentication())
const pinion = () => client(process.env.PINION_URL)
const feathersRef = () => client(process.env.FEATHERS_URL)

test('a user who signed up on Feathers logs in on Pinion, and the Pinion token works on Feathers', async () => {
  const email = uniqueEmail('feathers')
  await feathersRef().service('users').create({ email, password: 'from-feathers' })
  const onPinion = pinion()
  const result = await onPinion.authenticate({ strategy: 'local', email, password: 'from-feathers' })
  assert.equal(result.user.email, email)

  const onFeathers = feathersRef()
  const again = await onFeathers.authenticate({ strategy: 'jwt', accessToken: result.accessToken })
  assert.equal(again.user.email, email)
  const message = await onFeathers.service('messages').create({ text: 'posted on Feathers with a Pinion token' })
  const seen = await onPinion.service('messages').get(message._id)
  assert.equal(seen.text, message.text)
  assert.equal(seen.user.email, email)
})

test('a user who signed up on Pinion logs in on Feathers, and the Feathers token works on Pinion', async () => {
  const email = uniqueEmail('pinion')
  await pinion().service('users').create({ email, password: 'from-pinion' })
  const onFeathers = feathersRef()
  const result = await onFeathers.authenticate({ strategy: 'local', email, password: 'from-pinion' })

  const onPinion = pinion()
  const again = await onPinion.authenticate({ strategy: 'jwt', accessToken: result.accessToken })
  assert.equal(again.accessToken, result.accessToken)
  assert.equal(again.user.email, email)
  const message = await onPinion.service('messages').create({ text: 'posted on Pinion with a Feathers token' })
  assert.equal(String(message.userId), String(result.user._id))
  const seen = await onFeathers.service('messages').get(message._id)
  assert.equal(seen.text, message.text)
})

test('a token Pinion revoked is refused by Pinion even though Feathers would still take it', async () => {
  const email = uniqueEmail('revoke')
  await pinion().service('users').create({ email, password: 'secret-pw' })
  const app = pinion()
  const { accessToken } = await app.authenticate({ strategy: 'local', email, password: 'secret-pw' })
  await app.logout()
  await assert.rejects(pinion().authenticate({ strategy: 'jwt', accessToken }), { name: 'NotAuthenticated', message: 'Token has been revoked' })
})

// The claims of authentication.WithClaims (the user's email, as the Feathers
// guide's "Setup the JWT payload" puts it) in the token the official client
// keeps, after a REST and a socket login. Run by TestClaimsThroughFeathersClients.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { restClient, socketClient, uniqueEmail } from './client.mjs'

const password = 'correct horse'

// payload decodes a JWT's claims, as any holder of the token can.
const payload = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())

test('a REST login keeps a token with the email', async () => {
  const app = restClient()
  const email = uniqueEmail('rest')
  await app.service('users').create({ email, password })
  const result = await app.authenticate({ strategy: 'local', email, password })
  const token = await app.authentication.getAccessToken()
  assert.equal(token, result.accessToken)
  const claims = payload(token)
  assert.equal(claims.email, email)
  assert.equal(claims.sub, String(result.user._id))
  assert.equal(result.authentication.payload.email, email)
})

test('a socket login keeps a token with the email, and so does its reAuthenticate', async () => {
  const { app, socket } = socketClient()
  try {
    const email = uniqueEmail('socket')
    await app.service('users').create({ email, password })
    await app.authenticate({ strategy: 'local', email, password })
    const token = await app.authentication.getAccessToken()
    assert.equal(payload(token).email, email)
    // A jwt login (what a reconnecting client sends) answers the same token.
    const again = await app.authentication.reAuthenticate(true)
    assert.equal(payload(again.accessToken).email, email)
    assert.equal(payload(await app.authentication.getAccessToken()).email, email)
  } finally {
    socket.close()
  }
})

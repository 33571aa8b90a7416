// Verifies tokens as a Feathers server does (AuthenticationBase#verifyAccessToken,
// i.e. jsonwebtoken.verify with the options Feathers passes), for
// TestJWTErrorsMatchFeathers. Reads {secret, now, cases: [{token, options:
// {audience?, issuer?, leeway}}]} on stdin; prints one JSON array: for each
// token {ok: true} or {error: <the NotAuthenticated's toJSON()>}.
import { createRequire } from 'node:module'
import { feathers } from '@feathersjs/feathers'
import { AuthenticationBase } from '@feathersjs/authentication'

const require = createRequire(import.meta.resolve('@feathersjs/authentication'))
const { version } = require('jsonwebtoken/package.json')

let input = ''
for await (const chunk of process.stdin) input += chunk
const { secret, now, cases } = JSON.parse(input)

const results = []
for (const { token, options } of cases) {
  const app = feathers()
  // jwtOptions replaces Feathers' defaults whole, as a configuration does.
  const jwtOptions = { header: { typ: 'access' }, algorithm: 'HS256', expiresIn: '1d', clockTolerance: options.leeway }
  if (options.audience) jwtOptions.audience = options.audience
  if (options.issuer) jwtOptions.issuer = options.issuer
  app.set('authentication', { secret, entity: null, authStrategies: [], jwtOptions })
  const auth = new AuthenticationBase(app, 'authentication')
  try {
    await auth.verifyAccessToken(token, { clockTimestamp: now })
    results.push({ ok: true })
  } catch (error) {
    results.push({ error: error.toJSON() })
  }
}
process.stdout.write(JSON.stringify({ jsonwebtoken: version, results }))

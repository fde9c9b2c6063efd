// GNAP lifecycle interop check: the OFFICIAL Open Payments client
// (@interledger/open-payments, pinned to 7.4.0 in package.json) against Tessera.
//
// Run by crates/tessera-cli/tests/interop_js.rs as `node gnap-lifecycle.mjs` (cwd = this
// directory, after `npm ci`). The Rust test starts Tessera, serves each client's JWKS at
// `${WALLET_ADDRESS}/jwks.json`, and passes everything through environment variables:
//   AUTH_SERVER_URL          grant endpoint, e.g. http://127.0.0.1:41234/
//   INTROSPECT_URL           Tessera's internal introspection URL, e.g. http://127.0.0.1:41235/introspect
//   WALLET_ADDRESS, KEY_ID, PRIVATE_KEY_PATH                    client Alice (PKCS#8 Ed25519 PEM)
//   OTHER_WALLET_ADDRESS, OTHER_KEY_ID, OTHER_PRIVATE_KEY_PATH  client Bob
//   RESOURCE_WALLET_ADDRESS  wallet address used as `identifier` in access items
//
// Steps (each prints `ok <step>`, or `FAIL <step>: ...` and exits 1 at the first failure):
//   a  non-interactive grant (incoming-payment + quote) returns access_token + continue
//   b  introspection: active, right client, grant id, filtered access
//   c  token rotation: new value + new manage URL, same access; old token inactive
//   d  rotating the already-rotated token is rejected (400/401/404)
//   e  Bob cannot rotate Alice's token (401); Alice's token stays active
//   f  revoke -> 204, inactive; revoke again -> 204 (idempotent); rotate revoked -> rejected
//   g  grant cancel (DELETE continue URI) -> 204; the grant's token becomes inactive
//   h  request signed with a forged key under Alice's key id -> 401 invalid_client
//   i  outgoing-payment grant without `interact` -> 4xx with a GNAP error code, never 5xx
// Last line on success: `N passed, 0 failed`.
//
// The clients are created with `validateResponses: true`: the client library itself validates
// every 2xx response from Tessera (status code and body) against the official auth-server
// OpenAPI spec it bundles, so a wrong shape, an extra key in `access_token`, or 200 instead of
// 204 on a DELETE fails the step even where this script does not assert it explicitly.

import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import {
  createAuthenticatedClient,
  isFinalizedGrantWithAccessToken,
  isPendingGrant,
  OpenPaymentsClientError
} from '@interledger/open-payments'

const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`environment variable ${name} is not set`)
  return value
}

// ---------- helpers ----------

const describe = (err) =>
  err instanceof OpenPaymentsClientError
    ? `${err.message}: status=${err.status} code=${err.code} description=${err.description}` +
      (err.validationErrors ? ` validationErrors=${JSON.stringify(err.validationErrors)}` : '')
    : (err?.stack ?? String(err))

const makeClient = (walletAddressUrl, keyId, privateKey) =>
  createAuthenticatedClient({ walletAddressUrl, privateKey, keyId, validateResponses: true, useHttp: true })

/** Awaits `promise`, expecting an OpenPaymentsClientError with one of `statuses` (and `code`). */
async function expectRejection(promise, { statuses, code }) {
  let result
  try {
    result = await promise
  } catch (err) {
    if (!(err instanceof OpenPaymentsClientError)) throw err
    assert.ok(statuses.includes(err.status), `expected status in [${statuses}], got ${describe(err)}`)
    if (code) assert.equal(err.code, code, `expected code ${code}, got ${describe(err)}`)
    return `status ${err.status} code ${err.code}`
  }
  assert.fail(`expected rejection with status in [${statuses}], but it resolved: ${JSON.stringify(result)}`)
}

async function introspect(accessToken, access) {
  const res = await fetch(INTROSPECT_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(access ? { access_token: accessToken, access } : { access_token: accessToken })
  })
  const text = await res.text()
  assert.equal(res.status, 200, `introspection answered ${res.status}: ${text}`)
  return JSON.parse(text)
}

// Access is a set of items, each with a set of actions: compare order-insensitively.
const normalize = (access) =>
  access
    .map((item) => ({ ...item, actions: [...item.actions].sort() }))
    .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))

function assertGrant(grant) {
  assert.ok(!isPendingGrant(grant), 'grant is pending (has interact)')
  assert.ok(isFinalizedGrantWithAccessToken(grant), 'grant has no access_token')
  const { access_token: token, continue: cont } = grant
  assertToken(token)
  assert.ok(cont.access_token.value, 'continue.access_token.value is empty')
  assert.ok(cont.uri, 'continue.uri is empty')
}

function assertToken(token) {
  assert.equal(typeof token.value, 'string')
  assert.ok(token.value.length > 0, 'access_token.value is empty')
  assert.ok(token.manage, 'access_token.manage is empty')
  assert.ok(Number.isInteger(token.expires_in) && token.expires_in > 0, `expires_in = ${token.expires_in}`)
  assert.deepEqual(normalize(token.access), normalize(ACCESS))
}

// ---------- configuration ----------

let AUTH_SERVER_URL, INTROSPECT_URL, WALLET_ADDRESS, KEY_ID, RESOURCE, ACCESS, alice, bob
try {
  AUTH_SERVER_URL = env('AUTH_SERVER_URL')
  INTROSPECT_URL = env('INTROSPECT_URL')
  WALLET_ADDRESS = env('WALLET_ADDRESS')
  KEY_ID = env('KEY_ID')
  RESOURCE = env('RESOURCE_WALLET_ADDRESS')
  alice = await makeClient(WALLET_ADDRESS, KEY_ID, env('PRIVATE_KEY_PATH'))
  bob = await makeClient(env('OTHER_WALLET_ADDRESS'), env('OTHER_KEY_ID'), env('OTHER_PRIVATE_KEY_PATH'))
} catch (err) {
  console.log(`FAIL setup: ${describe(err)}`)
  process.exit(1)
}
ACCESS = [
  { type: 'incoming-payment', actions: ['create', 'read', 'list'], identifier: RESOURCE },
  { type: 'quote', actions: ['create', 'read'] }
]
const requestGrant = (client) =>
  client.grant.request({ url: AUTH_SERVER_URL }, { access_token: { access: ACCESS } })

// ---------- steps ----------

const state = {}
const steps = [
  ['a grant.request non-interactive', async () => {
    state.grant = await requestGrant(alice)
    assertGrant(state.grant)
    state.token = state.grant.access_token
  }],

  ['b introspect active token', async () => {
    const info = await introspect(state.token.value)
    assert.equal(info.active, true)
    assert.equal(info.client, WALLET_ADDRESS)
    assert.ok(typeof info.grant === 'string' && info.grant.length > 0, `grant = ${info.grant}`)
    const wanted = { type: 'incoming-payment', actions: ['read'], identifier: RESOURCE }
    const filtered = await introspect(state.token.value, [wanted])
    assert.equal(filtered.active, true)
    assert.ok(
      filtered.access.some((i) => i.type === wanted.type && i.identifier === RESOURCE && i.actions.includes('read')),
      `introspection access lacks ${JSON.stringify(wanted)}: ${JSON.stringify(filtered.access)}`
    )
  }],

  ['c token.rotate', async () => {
    const old = state.token
    const { access_token: rotated } = await alice.token.rotate({ url: old.manage, accessToken: old.value })
    assertToken(rotated)
    assert.notEqual(rotated.value, old.value, 'rotation kept the token value')
    assert.notEqual(rotated.manage, old.manage, 'rotation kept the manage URL')
    assert.equal((await introspect(old.value)).active, false, 'old token still active')
    assert.equal((await introspect(rotated.value)).active, true, 'new token inactive')
    state.oldToken = old
    state.token = rotated
  }],

  ['d rotate already-rotated token rejected', async () => {
    const { manage, value } = state.oldToken
    return expectRejection(alice.token.rotate({ url: manage, accessToken: value }), { statuses: [400, 401, 404] })
  }],

  ['e other client cannot rotate', async () => {
    state.grant2 = await requestGrant(alice)
    assertGrant(state.grant2)
    const { manage, value } = state.grant2.access_token
    const detail = await expectRejection(bob.token.rotate({ url: manage, accessToken: value }), { statuses: [401] })
    assert.equal((await introspect(value)).active, true, "Alice's token was affected by Bob's attempt")
    return detail
  }],

  ['f token.revoke', async () => {
    const { manage, value } = state.token
    assert.equal(await alice.token.revoke({ url: manage, accessToken: value }), undefined)
    assert.equal((await introspect(value)).active, false, 'revoked token still active')
    await alice.token.revoke({ url: manage, accessToken: value }) // idempotent: 204 again
    return expectRejection(alice.token.rotate({ url: manage, accessToken: value }), { statuses: [400, 401, 404] })
  }],

  ['g grant.cancel', async () => {
    const { uri, access_token: cont } = state.grant2.continue
    assert.equal(await alice.grant.cancel({ url: uri, accessToken: cont.value }), undefined)
    assert.equal((await introspect(state.grant2.access_token.value)).active, false, "cancelled grant's token still active")
  }],

  ['h forged signature rejected', async () => {
    const { privateKey } = generateKeyPairSync('ed25519') // a KeyObject; the client accepts it as is
    const mallory = await makeClient(WALLET_ADDRESS, KEY_ID, privateKey)
    return expectRejection(requestGrant(mallory), { statuses: [401], code: 'invalid_client' })
  }],

  ['i outgoing-payment without interact rejected', async () => {
    const access = [{
      type: 'outgoing-payment',
      actions: ['create', 'read'],
      identifier: RESOURCE,
      limits: { debitAmount: { value: '500', assetCode: 'USD', assetScale: 2 } }
    }]
    let detail
    try {
      const res = await alice.grant.request({ url: AUTH_SERVER_URL }, { access_token: { access } })
      assert.fail(`expected rejection, got ${JSON.stringify(res)}`)
    } catch (err) {
      if (!(err instanceof OpenPaymentsClientError)) throw err
      assert.ok(err.status >= 400 && err.status < 500, `expected 4xx, got ${describe(err)}`)
      assert.ok(typeof err.code === 'string' && err.code.length > 0, `no GNAP error code: ${describe(err)}`)
      detail = `status ${err.status} code ${err.code}`
    }
    return detail
  }]
]

for (const [name, run] of steps) {
  try {
    const detail = await run()
    console.log(detail ? `ok ${name} (${detail})` : `ok ${name}`)
  } catch (err) {
    console.log(`FAIL ${name}: ${describe(err)}`)
    process.exit(1)
  }
}
console.log(`${steps.length} passed, 0 failed`)
process.exit(0)

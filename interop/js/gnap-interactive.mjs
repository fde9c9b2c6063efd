// Interactive (outgoing-payment) grant interop check: the OFFICIAL Open Payments client
// (@interledger/open-payments, pinned in package.json, validateResponses on) against Tessera,
// with this script playing the account holder's browser and the identity provider (IdP).
//
// Run by crates/tessera-cli/tests/interop_js.rs. Environment:
//   AUTH_SERVER_URL    grant endpoint, e.g. http://127.0.0.1:41234/
//   INTROSPECT_URL     Tessera's internal introspection URL
//   ADMIN_URL          Tessera's internal listener base, e.g. http://127.0.0.1:41235
//   ADMIN_TOKEN        TESSERA_ADMIN_TOKEN of that server
//   IDP_CONSENT_URL    the consent URL Tessera was started with
//   INTERACTION_TTL    the server's interaction lifetime, seconds (small, for the expiry step)
//   WALLET_ADDRESS, KEY_ID, PRIVATE_KEY_PATH   the client
//
// Steps print `ok <step>` or `FAIL <step>: ...` (exit 1 at the first failure); last line on
// success: `N passed, 0 failed`.

import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { createAuthenticatedClient, isPendingGrant, OpenPaymentsClientError } from '@interledger/open-payments'

const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`environment variable ${name} is not set`)
  return value
}
const describe = (err) =>
  err instanceof OpenPaymentsClientError
    ? `${err.message}: status=${err.status} code=${err.code} description=${err.description}` +
      (err.validationErrors ? ` validationErrors=${JSON.stringify(err.validationErrors)}` : '')
    : (err?.stack ?? String(err))

async function expectRejection(promise, { status, code }) {
  try {
    const result = await promise
    assert.fail(`expected rejection ${status} ${code}, got ${JSON.stringify(result)}`)
  } catch (err) {
    if (!(err instanceof OpenPaymentsClientError)) throw err
    assert.equal(err.status, status, describe(err))
    assert.equal(err.code, code, describe(err))
    return `status ${err.status} code ${err.code}`
  }
}

let AUTH_SERVER_URL, INTROSPECT_URL, ADMIN_URL, ADMIN_TOKEN, IDP_CONSENT_URL, INTERACTION_TTL, WALLET_ADDRESS, client
try {
  AUTH_SERVER_URL = env('AUTH_SERVER_URL')
  INTROSPECT_URL = env('INTROSPECT_URL')
  ADMIN_URL = env('ADMIN_URL')
  ADMIN_TOKEN = env('ADMIN_TOKEN')
  IDP_CONSENT_URL = env('IDP_CONSENT_URL')
  INTERACTION_TTL = Number(env('INTERACTION_TTL'))
  WALLET_ADDRESS = env('WALLET_ADDRESS')
  client = await createAuthenticatedClient({
    walletAddressUrl: WALLET_ADDRESS,
    privateKey: env('PRIVATE_KEY_PATH'),
    keyId: env('KEY_ID'),
    validateResponses: true,
    useHttp: true
  })
} catch (err) {
  console.log(`FAIL setup: ${describe(err)}`)
  process.exit(1)
}

const FINISH_URI = 'https://client.example/finish'
const ACCESS = [{
  type: 'outgoing-payment',
  actions: ['create', 'read', 'list'],
  identifier: WALLET_ADDRESS,
  limits: { debitAmount: { value: '500', assetCode: 'USD', assetScale: 2 }, interval: 'R/2026-11-23T00:00:00Z/P1M' }
}]

const requestInteractive = (withFinish = true) => {
  const nonce = randomUUID()
  const interact = withFinish
    ? { start: ['redirect'], finish: { method: 'redirect', uri: FINISH_URI, nonce } }
    : { start: ['redirect'] }
  return client.grant
    .request({ url: AUTH_SERVER_URL }, { access_token: { access: ACCESS }, interact })
    .then((grant) => ({ grant, nonce }))
}

/** The account holder's browser: no automatic redirects, keeps the interaction cookie. */
class Browser {
  cookie = undefined
  async get (url) {
    const res = await fetch(url, { redirect: 'manual', headers: this.cookie ? { cookie: this.cookie } : {} })
    const setCookie = res.headers.get('set-cookie')
    if (setCookie) this.cookie = setCookie.split(';')[0]
    await res.arrayBuffer()
    return { status: res.status, location: res.headers.get('location') }
  }
}

const idp = async (method, path, token = ADMIN_TOKEN) => {
  const res = await fetch(`${ADMIN_URL}${path}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {}
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

const interactionOf = (redirect) => {
  const parts = new URL(redirect).pathname.split('/')
  return { id: parts.at(-2), nonce: parts.at(-1) }
}

const state = {}
const steps = [
  ['a outgoing-payment grant is pending with an interaction', async () => {
    const { grant, nonce } = await requestInteractive()
    assert.ok(isPendingGrant(grant), `not pending: ${JSON.stringify(grant)}`)
    assert.ok(grant.interact.redirect.startsWith(AUTH_SERVER_URL.replace(/\/$/, '') + '/interact/'))
    assert.ok(grant.interact.finish)
    assert.ok(Number.isInteger(grant.continue.wait))
    Object.assign(state, { grant, clientNonce: nonce, ...interactionOf(grant.interact.redirect) })
  }],

  ['b the redirect sends the browser to the IdP', async () => {
    state.browser = new Browser()
    const page = await state.browser.get(state.grant.interact.redirect)
    assert.ok([302, 303].includes(page.status), `status ${page.status}`)
    const consent = new URL(page.location)
    assert.equal(`${consent.origin}${consent.pathname}`, IDP_CONSENT_URL)
    assert.equal(consent.searchParams.get('interactId'), state.id)
    assert.equal(consent.searchParams.get('nonce'), state.nonce)
    assert.equal(consent.searchParams.get('clientUri'), WALLET_ADDRESS)
  }],

  ['c the IdP API refuses calls without its token', async () => {
    const res = await idp('GET', `/grants/${state.id}/${state.nonce}`, null)
    assert.equal(res.status, 401)
    const wrong = await idp('POST', `/grants/${state.id}/${state.nonce}/accept`, 'wrong-token')
    assert.equal(wrong.status, 401)
    return 'status 401'
  }],

  ['d the IdP reads the request and accepts it', async () => {
    const details = await idp('GET', `/grants/${state.id}/${state.nonce}`)
    assert.equal(details.status, 200)
    assert.equal(details.body.state, 'pending')
    assert.deepEqual(details.body.access, ACCESS)
    assert.equal(details.body.client.walletAddress, WALLET_ADDRESS)
    assert.equal((await idp('POST', `/grants/${state.id}/${state.nonce}/accept`)).status, 202)
  }],

  ['e the finish redirect carries a hash the client can verify', async () => {
    const page = await state.browser.get(`${state.grant.interact.redirect}/finish`)
    assert.ok([302, 303].includes(page.status), `status ${page.status}`)
    const back = new URL(page.location)
    assert.equal(`${back.origin}${back.pathname}`, FINISH_URI)
    const interactRef = back.searchParams.get('interact_ref')
    const expected = createHash('sha256')
      .update(`${state.clientNonce}\n${state.grant.interact.finish}\n${interactRef}\n${AUTH_SERVER_URL}`)
      .digest('base64')
    assert.equal(back.searchParams.get('hash'), expected)
    state.interactRef = interactRef
  }],

  ['f a wrong interact_ref is refused', async () =>
    expectRejection(
      client.grant.continue(
        { url: state.grant.continue.uri, accessToken: state.grant.continue.access_token.value },
        { interact_ref: randomUUID() }
      ),
      { status: 404, code: 'invalid_continuation' }
    )],

  ['g continue issues the token with the requested limits; rotate; revoke', async () => {
    const issued = await client.grant.continue(
      { url: state.grant.continue.uri, accessToken: state.grant.continue.access_token.value },
      { interact_ref: state.interactRef }
    )
    assert.deepEqual(issued.access_token.access, ACCESS)
    const rotated = await client.token.rotate({ url: issued.access_token.manage, accessToken: issued.access_token.value })
    assert.deepEqual(rotated.access_token.access, ACCESS)
    assert.notEqual(rotated.access_token.value, issued.access_token.value)
    await client.token.revoke({ url: rotated.access_token.manage, accessToken: rotated.access_token.value })
    const res = await fetch(INTROSPECT_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: rotated.access_token.value })
    })
    assert.deepEqual(await res.json(), { active: false })
  }],

  ['h a rejected grant goes back with result=grant_rejected', async () => {
    const { grant } = await requestInteractive()
    const { id, nonce } = interactionOf(grant.interact.redirect)
    const browser = new Browser()
    await browser.get(grant.interact.redirect)
    assert.equal((await idp('POST', `/grants/${id}/${nonce}/reject`)).status, 202)
    const page = await browser.get(`${grant.interact.redirect}/finish`)
    assert.equal(new URL(page.location).searchParams.get('result'), 'grant_rejected')
  }],

  ['i polling faster than wait is too_fast', async () => {
    const { grant } = await requestInteractive(false)
    return expectRejection(
      client.grant.continue({ url: grant.continue.uri, accessToken: grant.continue.access_token.value }),
      { status: 400, code: 'too_fast' }
    )
  }],

  ['j an expired interaction cannot be accepted', async () => {
    const { grant } = await requestInteractive()
    const { id, nonce } = interactionOf(grant.interact.redirect)
    await new Promise((resolve) => setTimeout(resolve, INTERACTION_TTL * 1000 + 600))
    const res = await idp('POST', `/grants/${id}/${nonce}/accept`)
    assert.equal(res.status, 400)
    assert.equal(res.body.error.code, 'invalid_interaction')
    return 'status 400 code invalid_interaction'
  }]
]

let passed = 0
for (const [name, run] of steps) {
  try {
    const detail = await run()
    console.log(`ok ${name}${detail ? ` (${detail})` : ''}`)
    passed++
  } catch (err) {
    console.log(`FAIL ${name}: ${describe(err)}`)
    console.log(`${passed} passed, 1 failed`)
    process.exit(1)
  }
}
console.log(`${passed} passed, 0 failed`)

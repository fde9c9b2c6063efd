// Quickstart: the official Open Payments client (@interledger/open-payments) against a local
// Tessera. Requests a grant, rotates its token, revokes the new token. See the README.
//
// Settings (environment, with the README's defaults):
//   AUTH_SERVER_URL   http://127.0.0.1:3000/
//   WALLET_ADDRESS    http://127.0.0.1:8081/alice   (serves {WALLET_ADDRESS}/jwks.json)
//   KEY_ID            alice-key
//   PRIVATE_KEY_PATH  ../../alice.pem

import { createAuthenticatedClient, isFinalizedGrantWithAccessToken } from '@interledger/open-payments'

const AUTH_SERVER_URL = process.env.AUTH_SERVER_URL ?? 'http://127.0.0.1:3000/'
const walletAddressUrl = process.env.WALLET_ADDRESS ?? 'http://127.0.0.1:8081/alice'

const client = await createAuthenticatedClient({
  walletAddressUrl,
  keyId: process.env.KEY_ID ?? 'alice-key',
  privateKey: process.env.PRIVATE_KEY_PATH ?? '../../alice.pem',
  validateResponses: true,
  useHttp: true
})

const grant = await client.grant.request(
  { url: AUTH_SERVER_URL },
  { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read', 'list'] }] } }
)
if (!isFinalizedGrantWithAccessToken(grant)) throw new Error('expected a grant with an access token')
console.log('granted: manage =', grant.access_token.manage, 'expires_in =', grant.access_token.expires_in)

const rotated = await client.token.rotate({ url: grant.access_token.manage, accessToken: grant.access_token.value })
console.log('rotated: manage =', rotated.access_token.manage)

await client.token.revoke({ url: rotated.access_token.manage, accessToken: rotated.access_token.value })
console.log('revoked: done')

// Signs requests with the OFFICIAL @interledger/http-signature-utils `createHeaders` (what the
// official client @interledger/open-payments calls for every request), so that another
// implementation's verifier can be checked against it.
//
// Run by crates/tessera-client/tests/interop_signatures.rs as `node sign-requests.mjs`.
// stdin, JSON:
//   {"privateKeyPath": "<PKCS#8 PEM file>", "keyId": "...",
//    "requests": [{"name": "...", "method": "POST", "url": "http://host/path",
//                  "headers": {"authorization": "GNAP ...", ...}, "body": "<JSON string>" | null}]}
// stdout, JSON, one entry per request in order: the headers to send (the given ones plus
// Content-Digest, Content-Length, Content-Type, Signature, Signature-Input), names lower-cased:
//   [{"name": "...", "headers": {"signature": "...", ...}}]

import { createHeaders, loadKey } from '@interledger/http-signature-utils'

let text = ''
for await (const chunk of process.stdin) text += chunk
const { privateKeyPath, keyId, requests } = JSON.parse(text)
const privateKey = loadKey(privateKeyPath)

const results = []
for (const { name, method, url, headers, body } of requests) {
  const signed = await createHeaders({
    request: { method, url, headers: { ...headers }, body: body ?? undefined },
    privateKey,
    keyId
  })
  const all = {}
  for (const [key, value] of Object.entries({ ...headers, ...signed })) {
    if (value !== undefined) all[key.toLowerCase()] = value
  }
  results.push({ name, headers: all })
}
console.log(JSON.stringify(results))

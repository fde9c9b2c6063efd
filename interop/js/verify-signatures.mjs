// Verifies HTTP message signatures with the OFFICIAL @interledger/http-signature-utils (the code
// Rafiki's authorization server runs), so that requests signed by another implementation can be
// checked against it.
//
// Run by crates/tessera-client/tests/interop_signatures.rs as `node verify-signatures.mjs`.
// stdin, JSON:
//   {"requests": [{"name": "...", "method": "POST", "url": "http://host/path",
//                  "headers": {"lower-case-name": "value", ...}, "body": "<string>" | null,
//                  "jwk": {<the client's public JWK>}}, ...]}
// stdout, JSON, one entry per request in order:
//   [{"name": "...", "headersValid": <validateSignatureHeaders>, "signatureValid": <validateSignature>,
//     "error": "<message, only when the library threw>"}]

import { validateSignature, validateSignatureHeaders } from '@interledger/http-signature-utils'

let text = ''
for await (const chunk of process.stdin) text += chunk
const { requests } = JSON.parse(text)

const results = []
for (const { name, method, url, headers, body, jwk } of requests) {
  // The shape Rafiki passes in (RequestLike): upper-case method, full URL, lower-case header
  // names, the body as the raw string.
  const request = { method, url, headers, body: body ?? undefined }
  const result = { name, headersValid: false, signatureValid: false }
  try {
    result.headersValid = validateSignatureHeaders(request)
    result.signatureValid = await validateSignature(jwk, request)
  } catch (err) {
    result.error = String(err?.message ?? err)
  }
  results.push(result)
}
console.log(JSON.stringify(results))

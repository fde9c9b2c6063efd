"""OAuth 2.0 interop check: the third-party Python client requests-oauthlib (pinned in
requirements.txt) against a running Tessera.

Run by crates/tessera-cli/tests/interop_python.rs with the venv's python. The Rust test
registers the clients with `tessera client create --json`, starts `tessera serve` with an IdP
consent URL and an admin token, and passes everything through environment variables:
  ISSUER                  Tessera's public URL; metadata at {ISSUER}/.well-known/oauth-authorization-server
  ADMIN_URL, ADMIN_TOKEN  the internal listener and its bearer token (the IdP API)
  IDP_CONSENT_URL         where Tessera sends the browser for consent
  REDIRECT_URI            the app client's registered redirect URI
  CLIENT_ID, CLIENT_SECRET  the app: authorization_code + refresh_token + client_credentials
  RS_CLIENT_ID, RS_CLIENT_SECRET  a resource server allowed to introspect

The OAuth steps go through requests_oauthlib.OAuth2Session (PKCE S256, fetch_token,
refresh_token); this script only plays the browser and the IdP around it, and uses plain
requests for RFC 7009 revocation and RFC 7662 introspection, which requests-oauthlib lacks.
Each step prints `ok <step>`; the first failure prints `FAIL <step>: ...` and exits 1.
Last line: `N passed, M failed`.
"""

import os
import sys
import traceback
from urllib.parse import parse_qs, urlsplit

# Tessera listens on plain http on loopback in the test; oauthlib refuses http without this.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

import requests  # noqa: E402
from oauthlib.oauth2 import BackendApplicationClient, InvalidGrantError  # noqa: E402
from requests.auth import HTTPBasicAuth  # noqa: E402
from requests_oauthlib import OAuth2Session  # noqa: E402


def env(name):
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"environment variable {name} is not set")
    return value


ISSUER = env("ISSUER")
ADMIN_URL = env("ADMIN_URL")
ADMIN_TOKEN = env("ADMIN_TOKEN")
IDP_CONSENT_URL = env("IDP_CONSENT_URL")
REDIRECT_URI = env("REDIRECT_URI")
CLIENT_ID = env("CLIENT_ID")
CLIENT_SECRET = env("CLIENT_SECRET")
RS_AUTH = HTTPBasicAuth(env("RS_CLIENT_ID"), env("RS_CLIENT_SECRET"))
APP_BASIC = HTTPBasicAuth(CLIENT_ID, CLIENT_SECRET)
SCOPE = ["read", "write"]
SUBJECT = "alice"
TIMEOUT = 10


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class Run:
    """State shared by the steps, in order."""

    meta = None
    session = None
    first = None  # the token response of the code exchange
    second = None  # after the first refresh
    third = None  # after the second refresh


def consent(authorization_url):
    """Plays the browser and the IdP: follows authorize -> consent page, accepts through the
    IdP API, finishes in the same browser (cookie), and returns the redirect back to the app."""
    browser = requests.Session()
    page = browser.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
    check(page.status_code in (302, 303), f"authorize: {page.status_code} {page.text}")
    to_idp = page.headers["Location"]
    check(to_idp.startswith(IDP_CONSENT_URL), f"authorize went to {to_idp}")
    check("tessera_interaction" in browser.cookies, f"no interaction cookie: {page.headers}")
    params = query(to_idp)
    check(params.get("clientId") == CLIENT_ID, f"consent page params: {params}")
    interact_id, nonce = params["interactId"], params["nonce"]
    accepted = requests.post(
        f"{ADMIN_URL}/grants/{interact_id}/{nonce}/accept",
        json={"subject": SUBJECT},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=TIMEOUT,
    )
    check(accepted.status_code == 202, f"IdP accept: {accepted.status_code} {accepted.text}")
    back = browser.get(
        f"{ISSUER}/interact/{interact_id}/{nonce}/finish", allow_redirects=False, timeout=TIMEOUT
    )
    check(back.status_code in (302, 303), f"finish: {back.status_code} {back.text}")
    location = back.headers["Location"]
    check(location.startswith(REDIRECT_URI + "?"), f"finish went to {location}")
    return location


def new_app_session():
    return OAuth2Session(CLIENT_ID, redirect_uri=REDIRECT_URI, scope=SCOPE, pkce="S256")


def authorize(session):
    url, state = session.authorization_url(Run.meta["authorization_endpoint"])
    sent = query(url)
    check(sent.get("code_challenge_method") == "S256", f"no PKCE in {url}")
    check(len(sent.get("code_challenge", "")) == 43, f"bad challenge in {url}")
    back = consent(url)
    returned = query(back)
    check(returned.get("state") == state, f"state: {returned} vs {state}")
    # RFC 9207: the authorization response names the issuer of the metadata document.
    check(returned.get("iss") == Run.meta["issuer"], f"iss: {returned} vs {Run.meta['issuer']}")
    return back


def introspect(token):
    response = requests.post(
        Run.meta["introspection_endpoint"], data={"token": token}, auth=RS_AUTH, timeout=TIMEOUT
    )
    check(response.status_code == 200, f"introspect: {response.status_code} {response.text}")
    check(
        response.headers.get("Content-Type", "").startswith("application/json"),
        f"introspection content type: {response.headers}",
    )
    return response.json()


def assert_inactive(token, what):
    answer = introspect(token)
    check(answer == {"active": False}, f"{what} should be inactive: {answer}")


def assert_refresh_refused(refresh_token, what):
    """The session's refresh with `refresh_token` must fail with invalid_grant."""
    try:
        Run.session.refresh_token(
            Run.meta["token_endpoint"], refresh_token=refresh_token, auth=APP_BASIC
        )
    except InvalidGrantError:
        return
    raise AssertionError(f"{what} was accepted")


def assert_token_response(token, what):
    check(token.get("token_type", "").lower() == "bearer", f"{what}: token_type {token}")
    check(isinstance(token.get("expires_in"), int), f"{what}: expires_in {token}")
    check(token.get("access_token"), f"{what}: no access_token {token}")


# ---------- steps ----------


def metadata_discovery():
    response = requests.get(
        f"{ISSUER}/.well-known/oauth-authorization-server", timeout=TIMEOUT
    )
    check(response.status_code == 200, f"metadata: {response.status_code}")
    meta = response.json()
    check(meta["issuer"].rstrip("/") == ISSUER.rstrip("/"), f"issuer {meta['issuer']}")
    for endpoint in (
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
    ):
        check(meta[endpoint].startswith(ISSUER), f"{endpoint}: {meta[endpoint]}")
    check(meta["code_challenge_methods_supported"] == ["S256"], f"PKCE methods {meta}")
    methods = meta["token_endpoint_auth_methods_supported"]
    check({"client_secret_basic", "client_secret_post"} <= set(methods), f"auth methods {methods}")
    check(
        {"authorization_code", "refresh_token", "client_credentials"}
        <= set(meta["grant_types_supported"]),
        f"grant types {meta['grant_types_supported']}",
    )
    Run.meta = meta


def authorization_code_with_pkce_and_basic_auth():
    session = new_app_session()
    back = authorize(session)
    # No auth argument: requests-oauthlib sends client_secret_basic.
    token = session.fetch_token(
        Run.meta["token_endpoint"], authorization_response=back, client_secret=CLIENT_SECRET
    )
    assert_token_response(token, "code exchange")
    check(token.get("refresh_token"), f"no refresh token: {token}")
    check(sorted(token.get("scope", [])) == sorted(SCOPE), f"scope {token.get('scope')}")
    Run.session, Run.first = session, dict(token)


def introspection_of_the_access_token():
    answer = introspect(Run.first["access_token"])
    check(answer.get("active") is True, f"not active: {answer}")
    check(answer.get("client_id") == CLIENT_ID, f"client_id: {answer}")
    check(answer.get("sub") == SUBJECT, f"sub: {answer}")
    check(set(answer.get("scope", "").split()) == set(SCOPE), f"scope: {answer}")
    check(isinstance(answer.get("exp"), int) and isinstance(answer.get("iat"), int), f"{answer}")


def refresh_with_basic_auth_rotates():
    token = Run.session.refresh_token(Run.meta["token_endpoint"], auth=APP_BASIC)
    assert_token_response(token, "refresh 1")
    check(token["refresh_token"] != Run.first["refresh_token"], "refresh token not rotated")
    check(token["access_token"] != Run.first["access_token"], "access token not renewed")
    Run.second = dict(token)


def refresh_with_form_body_auth_rotates():
    # No auth argument; client_id and client_secret go into the form body (client_secret_post).
    token = Run.session.refresh_token(
        Run.meta["token_endpoint"], client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    assert_token_response(token, "refresh 2")
    check(token["refresh_token"] not in (Run.first["refresh_token"], Run.second["refresh_token"]),
          "refresh token not rotated")
    check(introspect(token["access_token"]).get("active") is True, "newest access token inactive")
    check(introspect(token["refresh_token"]).get("active") is True, "newest refresh token inactive")
    assert_inactive(Run.second["refresh_token"], "the consumed refresh token")
    Run.third = dict(token)


def reuse_of_the_first_refresh_token_revokes_the_family():
    assert_refresh_refused(Run.first["refresh_token"], "reusing the first refresh token")
    assert_inactive(Run.third["access_token"], "the newest access token")
    assert_inactive(Run.third["refresh_token"], "the newest refresh token")


def newest_refresh_token_is_refused_after_reuse():
    assert_refresh_refused(Run.third["refresh_token"], "the newest refresh token after reuse")


def authorization_code_with_form_body_auth():
    session = new_app_session()
    back = authorize(session)
    token = session.fetch_token(
        Run.meta["token_endpoint"],
        authorization_response=back,
        include_client_id=True,
        client_secret=CLIENT_SECRET,
    )
    assert_token_response(token, "code exchange (form body)")
    check(introspect(token["access_token"]).get("active") is True, "access token inactive")
    Run.session, Run.first = session, dict(token)


def revocation_of_a_refresh_token():
    token = Run.first
    response = requests.post(
        Run.meta["revocation_endpoint"],
        data={"token": token["refresh_token"], "token_type_hint": "refresh_token"},
        auth=APP_BASIC,
        timeout=TIMEOUT,
    )
    check(response.status_code == 200, f"revoke: {response.status_code} {response.text}")
    assert_inactive(token["refresh_token"], "the revoked refresh token")
    # RFC 7009 §2.1: revoking a refresh token also invalidates its access tokens here.
    assert_inactive(token["access_token"], "the access token of the revoked refresh token")
    assert_refresh_refused(token["refresh_token"], "a revoked refresh token")
    again = requests.post(
        Run.meta["revocation_endpoint"],
        data={"token": token["refresh_token"]},
        auth=APP_BASIC,
        timeout=TIMEOUT,
    )
    check(again.status_code == 200, f"revoking twice: {again.status_code} {again.text}")


def client_credentials_with_form_body_auth():
    # The scope goes on the oauthlib client: OAuth2Session's own scope is for authorization
    # URLs and refreshes only.
    client = BackendApplicationClient(client_id=CLIENT_ID, scope=["read"])
    session = OAuth2Session(client=client, scope=["read"])
    token = session.fetch_token(
        Run.meta["token_endpoint"], include_client_id=True, client_secret=CLIENT_SECRET
    )
    assert_token_response(token, "client credentials")
    check(token.get("scope") == ["read"], f"scope {token.get('scope')}")
    answer = introspect(token["access_token"])
    check(answer.get("active") is True and answer.get("scope") == "read", f"{answer}")
    check(answer.get("client_id") == CLIENT_ID, f"{answer}")
    Run.first = dict(token)


def revocation_of_an_access_token():
    response = requests.post(
        Run.meta["revocation_endpoint"],
        data={
            "token": Run.first["access_token"],
            "token_type_hint": "access_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        timeout=TIMEOUT,
    )
    check(response.status_code == 200, f"revoke: {response.status_code} {response.text}")
    assert_inactive(Run.first["access_token"], "the revoked access token")


def introspection_needs_a_resource_server():
    # The app is not registered with may_introspect: refused, nothing revealed.
    response = requests.post(
        Run.meta["introspection_endpoint"],
        data={"token": Run.first["access_token"]},
        auth=APP_BASIC,
        timeout=TIMEOUT,
    )
    check(response.status_code == 401, f"{response.status_code} {response.text}")
    check(response.json().get("error") == "invalid_client", response.text)


STEPS = [
    metadata_discovery,
    authorization_code_with_pkce_and_basic_auth,
    introspection_of_the_access_token,
    refresh_with_basic_auth_rotates,
    refresh_with_form_body_auth_rotates,
    reuse_of_the_first_refresh_token_revokes_the_family,
    newest_refresh_token_is_refused_after_reuse,
    authorization_code_with_form_body_auth,
    revocation_of_a_refresh_token,
    client_credentials_with_form_body_auth,
    revocation_of_an_access_token,
    introspection_needs_a_resource_server,
]


def main():
    passed = 0
    for step in STEPS:
        name = step.__name__.replace("_", " ")
        try:
            step()
        except Exception as error:  # noqa: BLE001 - report any failure as the step's
            print(f"FAIL {name}: {error!r}")
            traceback.print_exc()
            print(f"{passed} passed, 1 failed")
            return 1
        print(f"ok {name}", flush=True)
        passed += 1
    print(f"{passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

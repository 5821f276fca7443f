"""oauth-authlib.py - the authorization server on 8443 as Authlib (a client
library nobody here wrote) reads it: RFC 8414 metadata through Authlib's own
validator, the token endpoint (the activation-code extension grant and
refresh), revocation and introspection through Authlib's OAuth2Session.
Issue 12 items 1, 2, 3, 4 and 6 each have their named cases.
"""
import os
import sqlite3
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oprovtest import Cluster, Report, check  # noqa: E402

import jwt                                                    # PyJWT
import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

GRANT = "urn:oprov:params:oauth:grant-type:activation-code"
DEV = "SEP001122334455"
DEV2 = "SEP00AABBCCDDEE"

c = Cluster("authlib").init()
c.device(DEV, line="1001")
c.device(DEV2, line="1002")
ADMIN = c.client("admin")                                   # revoke introspect
ONLY_INTROSPECT = c.client("rs-introspect", "--scope", "introspect")
ONLY_REVOKE = c.client("rs-revoke", "--scope", "revoke")
c.client("other-phone", "--public")
c.start_httpsd()
CA = c.ca_pem
# Every HTTPS call verifies the server against the CA of caconfig.json
# (requests reads it for any session, Authlib's included).
os.environ["REQUESTS_CA_BUNDLE"] = CA
TOKEN_URL = c.url(c.op, "/oauth/token")
REVOKE_URL = c.url(c.op, "/oauth/revoke")
INTRO_URL = c.url(c.op, "/oauth/introspect")
META_URL = c.url(c.op, "/.well-known/oauth-authorization-server")
rep = Report(c)


def phone(client_id="oprov-device"):
    """A phone: a public client (no secret) of the token endpoint."""
    s = OAuth2Session(client_id=client_id, token_endpoint_auth_method="none")
    s.verify = CA
    return s


def resource_server(name, secret):
    """A confidential client: client_secret_basic (Authlib's default)."""
    s = OAuth2Session(client_id=name, client_secret=secret)
    s.verify = CA
    return s


def onboard(dev=DEV, session=None, **extra):
    code = c.code(dev)
    s = session or phone()
    return s.fetch_token(TOKEN_URL, grant_type=GRANT, activation_code=code,
                         device=dev, **extra)


def introspect(token, who=("admin", ADMIN)):
    r = resource_server(*who).introspect_token(INTRO_URL, token=token)
    check(r.status_code == 200, "introspect status", r.status_code, r.text)
    return r.json()


def oauth_error(fn, *args, **kw):
    """Runs an Authlib call that must fail; returns the OAuth error code."""
    try:
        fn(*args, **kw)
    except OAuthError as e:
        return e.error
    raise AssertionError("the call succeeded but must fail")


# ---- item 6: metadata -------------------------------------------------------
def metadata_valid_for_authlib():
    r = requests.get(META_URL, verify=CA)
    check(r.status_code == 200, "metadata status", r.status_code)
    meta = AuthorizationServerMetadata(r.json())
    meta.validate()                     # Authlib's RFC 8414 checks, all of them
    check(meta["issuer"] == c.issuer, "issuer", meta["issuer"])
    check(GRANT in meta["grant_types_supported"], "grant types")
    check("refresh_token" in meta["grant_types_supported"], "refresh grant")
    check(meta["response_types_supported"] == ["none"], "response types",
          meta["response_types_supported"])
    check("none" in meta["token_endpoint_auth_methods_supported"], "public clients")
    for ep in ("token_endpoint", "jwks_uri", "revocation_endpoint",
               "introspection_endpoint"):
        check(requests.options(meta[ep], verify=CA).status_code in (200, 405),
              ep + " reachable")
    check("authorization_endpoint" not in meta, "no authorization endpoint")


rep.case("item 6: RFC 8414 metadata passes Authlib's validate()",
         metadata_valid_for_authlib)


# ---- token endpoint, then item 1 ----------------------------------------------
state = {}


def activation_grant():
    tok = onboard()
    check(tok["token_type"] == "Bearer", "token_type", tok)
    check(tok["scope"] == "config sip-register", "scope", tok)
    check("refresh_token" in tok and "access_token" in tok, "tokens", tok)
    claims = jwt.decode(tok["access_token"], options={"verify_signature": False})
    check(claims["client_id"] == "oprov-device", "client_id claim", claims)
    state["tok"] = tok


rep.case("token endpoint: activation-code grant with Authlib (public client)",
         activation_grant)


def refresh_rotates():
    s = phone()
    new = s.refresh_token(TOKEN_URL, refresh_token=state["tok"]["refresh_token"])
    check(new["refresh_token"] != state["tok"]["refresh_token"], "rotated")
    check(new["scope"] == "config sip-register", "scope kept", new)
    state["tok"] = new


rep.case("token endpoint: refresh_token grant rotates (Authlib refresh_token)",
         refresh_rotates)


def refused_wider_scope_keeps_grant():
    rt = state["tok"]["refresh_token"]
    err = oauth_error(phone().refresh_token, TOKEN_URL, refresh_token=rt,
                      scope="config sip-register revoke")
    check(err == "invalid_scope", "wider scope answer", err)
    # The same refresh token still works: the refusal rotated nothing, so
    # this retry is not reuse and the family lives.
    new = phone().refresh_token(TOKEN_URL, refresh_token=rt)
    check(new["refresh_token"] != rt, "retry rotated")
    check(introspect(new["access_token"])["active"] is True, "new token active")
    state["tok"] = new


rep.case("item 1: a refresh asking for wider scope is invalid_scope and the "
         "refresh token stays valid", refused_wider_scope_keeps_grant)


def refused_other_client_keeps_grant():
    rt = state["tok"]["refresh_token"]
    err = oauth_error(phone("other-phone").refresh_token, TOKEN_URL,
                      refresh_token=rt)
    check(err == "invalid_grant", "other client answer", err)
    new = phone().refresh_token(TOKEN_URL, refresh_token=rt)
    check(introspect(new["refresh_token"])["active"] is True, "family alive")
    state["tok"] = new


rep.case("item 1: a refresh naming another client_id is invalid_grant and the "
         "refresh token stays valid", refused_other_client_keeps_grant)


def narrower_scope_allowed():
    new = phone().refresh_token(TOKEN_URL, refresh_token=state["tok"]["refresh_token"],
                                scope="config")
    check(new["scope"] == "config", "narrowed", new)
    state["tok"] = new


rep.case("item 1: a refresh may narrow the scope", narrower_scope_allowed)


def reuse_still_revokes():
    old = state["tok"]["refresh_token"]
    new = phone().refresh_token(TOKEN_URL, refresh_token=old)
    err = oauth_error(phone().refresh_token, TOKEN_URL, refresh_token=old)
    check(err == "invalid_grant", "reuse answer", err)
    check(introspect(new["refresh_token"])["active"] is False,
          "family revoked after real reuse")


rep.case("item 1: reusing a rotated refresh token still revokes the family",
         reuse_still_revokes)


# ---- item 3: client authentication at the token endpoint -------------------
def raw_token(data, auth=None):
    return requests.post(TOKEN_URL, data=data, auth=auth, verify=CA)


def bad_basic_refused():
    code = c.code(DEV2)
    r = raw_token({"grant_type": GRANT, "activation_code": code, "device": DEV2},
                  auth=("admin", "wrong-secret"))
    check(r.status_code == 401, "status", r.status_code, r.text)
    check(r.json()["error"] == "invalid_client", "error", r.text)
    check(r.headers.get("WWW-Authenticate", "").startswith("Basic "),
          "WWW-Authenticate", r.headers)
    # the code was not spent on the refused request
    r = raw_token({"grant_type": GRANT, "activation_code": code, "device": DEV2})
    check(r.status_code == 200, "code still usable after invalid_client",
          r.status_code, r.text)


rep.case("item 3: bad Basic credentials at the token endpoint: 401 "
         "invalid_client with WWW-Authenticate", bad_basic_refused)


def unregistered_client_refused():
    s = phone("no-such-client-" + uuid.uuid4().hex[:8])
    try:
        onboard(DEV2, session=s)
    except OAuthError as e:
        check(e.error == "invalid_client", "error", e.error)
        return
    raise AssertionError("an unregistered client_id got tokens")


rep.case("item 3: an unregistered client_id gets invalid_client, no token",
         unregistered_client_refused)


def confidential_without_secret_refused():
    r = raw_token({"grant_type": GRANT, "activation_code": c.code(DEV2),
                   "device": DEV2, "client_id": "admin"})
    check(r.status_code == 401 and r.json()["error"] == "invalid_client",
          "confidential client without its secret", r.status_code, r.text)


rep.case("item 3: a confidential client_id without its secret gets 401",
         confidential_without_secret_refused)


def registered_public_client_named():
    tok = onboard(DEV2, session=phone("other-phone"))
    claims = jwt.decode(tok["access_token"], options={"verify_signature": False})
    check(claims["client_id"] == "other-phone", "client_id claim", claims)


rep.case("item 3: a registered public client's client_id is what the token "
         "carries", registered_public_client_named)


def revoke_client_not_a_device_client():
    r = raw_token({"grant_type": GRANT, "activation_code": c.code(DEV2),
                   "device": DEV2}, auth=("admin", ADMIN))
    check(r.status_code == 400 and r.json()["error"] == "unauthorized_client",
          "a revoke/introspect client on the device grant", r.status_code, r.text)


rep.case("item 3: an authenticated client without a device scope may not use "
         "the device grant (unauthorized_client)", revoke_client_not_a_device_client)


# ---- item 2: client scopes on revoke / introspect ---------------------------
def introspect_only_cannot_revoke():
    tok = onboard(DEV2)
    r = resource_server("rs-introspect", ONLY_INTROSPECT).revoke_token(
        REVOKE_URL, token=tok["access_token"], token_type_hint="access_token")
    check(r.status_code == 403, "revoke by an introspect client", r.status_code,
          r.text)
    check(r.json()["error"] == "unauthorized_client", "error", r.text)
    check(introspect(tok["access_token"], ("rs-introspect", ONLY_INTROSPECT))
          ["active"] is True, "token not revoked")
    r = resource_server("admin", ADMIN).revoke_token(
        REVOKE_URL, token=tok["access_token"], token_type_hint="access_token")
    check(r.status_code == 200, "revoke by admin", r.status_code)
    check(introspect(tok["access_token"])["active"] is False, "revoked")


rep.case("item 2: a client with scope introspect cannot revoke (403)",
         introspect_only_cannot_revoke)


def revoke_only_cannot_introspect():
    tok = onboard(DEV2)
    r = resource_server("rs-revoke", ONLY_REVOKE).introspect_token(
        INTRO_URL, token=tok["access_token"])
    check(r.status_code == 403, "introspect by a revoke client", r.status_code,
          r.text)
    check(r.json()["error"] == "unauthorized_client", "error", r.text)
    r = resource_server("rs-revoke", ONLY_REVOKE).revoke_token(
        REVOKE_URL, token=tok["refresh_token"], token_type_hint="refresh_token")
    check(r.status_code == 200, "revoke by the revoke client", r.status_code)
    check(introspect(tok["refresh_token"])["active"] is False, "refresh revoked")


rep.case("item 2: a client with scope revoke cannot introspect (403)",
         revoke_only_cannot_introspect)


def wrong_secret_on_introspect():
    r = resource_server("admin", "not-the-secret").introspect_token(
        INTRO_URL, token="x.y.z")
    check(r.status_code == 401 and r.json()["error"] == "invalid_client",
          "wrong secret", r.status_code, r.text)
    check(r.headers.get("WWW-Authenticate", "").startswith("Basic "),
          "WWW-Authenticate")


rep.case("item 2: wrong credentials on introspect: 401 invalid_client",
         wrong_secret_on_introspect)


# ---- item 4: introspection at exp, whatever the validators' skew ----------------
def signed_with_store_key(exp_in):
    """An access token signed by the current key of the store (read with
    sqlite3) through PyJWT, expiring exp_in seconds from now."""
    db = sqlite3.connect(os.path.join(c.datadir, "oprov.db"))
    kid, alg, pem = db.execute("SELECT kid, alg, private_pem FROM signing_key "
                               "WHERE state = 0").fetchone()
    db.close()
    now = int(time.time())
    claims = {"iss": c.issuer, "sub": DEV, "dev": DEV, "aud": c.issuer,
              "client_id": "oprov-device", "scope": "config", "iat": now - 120,
              "nbf": now - 120, "exp": now + exp_in, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, pem, algorithm=alg,
                      headers={"kid": kid, "typ": "at+jwt"})


def inactive_at_exp():
    live = signed_with_store_key(300)
    check(introspect(live)["active"] is True, "control token active")
    expired = signed_with_store_key(-5)     # past exp, inside the 60 s skew
    check(introspect(expired) == {"active": False}, "expired token",
          introspect(expired))


rep.case("item 4: introspection says active:false once exp has passed "
         "(within the validators' 60 s skew)", inactive_at_exp)

rep.finish()

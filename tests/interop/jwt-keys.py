"""jwt-keys.py - oprov's access tokens and JWKS as PyJWT and jwcrypto (two
JOSE libraries nobody here wrote) read them: every algorithm (RS256, ES256,
EdDSA) verifies against the published JWKS before and after `oprovctl keys
rotate`, and the rotation rules of issue 12 item 5: a new key is in the JWKS
before it signs anything, a rotation that would retire a key whose tokens
are still valid is refused, and a key leaves the JWKS only after that.

Time is simulated where the real wait would be minutes: the store's
`activates` / `last_exp` of a key are moved into the past with sqlite3 (as
if the publish-ahead time or the last token's exp had passed); everything
else goes through oprovctl, the token endpoint and the two libraries.
"""
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oprovtest import Cluster, Report, check, wait_for  # noqa: E402

import jwt                                       # PyJWT
import requests
from jwcrypto import jwk as jjwk
from jwcrypto import jwt as jjwt

GRANT = "urn:oprov:params:oauth:grant-type:activation-code"
DEV = "SEP001122334455"

c = Cluster("jwt").init()
c.device(DEV)
c.start_httpsd()
os.environ["REQUESTS_CA_BUNDLE"] = c.ca_pem
JWKS_URL = c.url(c.op, "/oauth/jwks.json")
TOKEN_URL = c.url(c.op, "/oauth/token")
rep = Report(c)
state = {}


def jwks():
    r = requests.get(JWKS_URL)
    check(r.status_code == 200, "JWKS status", r.status_code)
    check(r.headers["Content-Type"].startswith("application/jwk-set+json"), "type")
    return r.text


def kids(text):
    return [k["kid"] for k in json.loads(text)["keys"]]


def verify_both(token, alg):
    """PyJWT and jwcrypto each verify the token against the live JWKS."""
    text = jwks()
    hdr = jwt.get_unverified_header(token)
    check(hdr["alg"] == alg, "alg", hdr)
    check(hdr["typ"] == "at+jwt", "typ (RFC 9068)", hdr)
    # PyJWT: the JWKS key with the token's kid
    keyset = jwt.PyJWKSet.from_json(text)
    key = [k for k in keyset.keys if k.key_id == hdr["kid"]]
    check(len(key) == 1, "kid in the JWKS", hdr["kid"], kids(text))
    claims = jwt.decode(token, key[0].key, algorithms=[alg], audience=c.issuer,
                        issuer=c.issuer,
                        options={"require": ["exp", "iat", "iss", "aud", "sub",
                                             "jti", "client_id"]})
    check(claims["dev"] == DEV and claims["sub"] == DEV, "claims", claims)
    # jwcrypto: the whole key set, picked by kid
    t = jjwt.JWT(jwt=token, key=jjwk.JWKSet.from_json(text), algs=[alg],
                 check_claims={"iss": c.issuer, "aud": c.issuer, "exp": None})
    check(json.loads(t.claims)["jti"] == claims["jti"], "jwcrypto claims")
    return hdr["kid"]


def refresh():
    r = requests.post(TOKEN_URL, data={"grant_type": "refresh_token",
                                       "refresh_token": state["rt"],
                                       "client_id": "oprov-device"})
    check(r.status_code == 200, "refresh", r.status_code, r.text)
    state["rt"] = r.json()["refresh_token"]
    return r.json()["access_token"]


def db(sql, *args):
    con = sqlite3.connect(os.path.join(c.datadir, "oprov.db"))
    with con:
        con.execute(sql, args)
    con.close()


def jwk_members():
    for k in json.loads(jwks())["keys"]:
        check(not set(k) & {"d", "p", "q", "dp", "dq", "qi"}, "public members only", k)
        parsed = jjwk.JWK(**k)
        check(not parsed.has_private, "jwcrypto sees a public key", k["kid"])
        if k["kty"] == "RSA":
            check(len(jwt.utils.base64url_decode(k["n"])) >= 256, "RSA >= 2048 bits")
        elif k["kty"] == "EC":
            check(k["crv"] == "P-256", "crv", k)
            for m in ("x", "y"):
                check(len(jwt.utils.base64url_decode(k[m])) == 32, "full-length " + m)
        elif k["kty"] == "OKP":
            check(k["crv"] == "Ed25519", "crv", k)
            check(len(jwt.utils.base64url_decode(k["x"])) == 32, "Ed25519 x")
        else:
            raise AssertionError("unexpected kty " + k["kty"])
    ks = kids(jwks())
    check(len(ks) == len(set(ks)), "distinct kids", ks)


def rs256_at_start():
    r = requests.post(TOKEN_URL, data={"grant_type": GRANT, "device": DEV,
                                       "activation_code": c.code(DEV)})
    check(r.status_code == 200, "onboarding", r.status_code, r.text)
    state["rt"] = r.json()["refresh_token"]
    state["rs_token"] = r.json()["access_token"]
    state["rs_kid"] = verify_both(state["rs_token"], "RS256")
    check(kids(jwks()) == [state["rs_kid"]], "one key", kids(jwks()))
    jwk_members()


rep.case("RS256 token verifies with PyJWT and jwcrypto against the JWKS",
         rs256_at_start)


def rotate_publishes_before_signing():
    p = c.ctl("keys", "rotate", "--key-type", "ec256")
    check("signs from" in p.stdout, "rotate output", p.stdout)
    # The daemon follows the store within its sync interval (50 ms).
    ks = wait_for("the new key in the JWKS", lambda: len(kids(jwks())) == 2 and
                  kids(jwks()), timeout=5)
    check(state["rs_kid"] in ks, "old key kept", ks)
    state["ec_kid"] = [k for k in ks if k != state["rs_kid"]][0]
    # The new key is in the JWKS but does not sign yet (10 minutes ahead).
    check(verify_both(refresh(), "RS256") == state["rs_kid"],
          "the previous key still signs")
    verify_both(state["rs_token"], "RS256")
    jwk_members()


rep.case("item 5: keys rotate publishes the new key in the JWKS before it "
         "signs anything (default 10 minutes ahead)", rotate_publishes_before_signing)


def es256_after_activation():
    # As if the 10 minutes had passed: the next token request switches.
    db("UPDATE signing_key SET activates = ? WHERE kid = ?", int(time.time()) - 1,
       state["ec_kid"])
    tok = refresh()
    check(verify_both(tok, "ES256") == state["ec_kid"], "the new key signs")
    state["ec_token"] = tok
    verify_both(state["rs_token"], "RS256")       # the old key still verifies


rep.case("item 5: once its time has come the new key signs (ES256 verifies "
         "with both libraries; RS256 tokens still verify)", es256_after_activation)


def rotation_refused_while_tokens_live():
    p = c.ctl("keys", "rotate", "--key-type", "ed25519", check=False)
    check(p.returncode != 0, "second rotation refused", p.stdout)
    check("signed tokens valid until" in p.stderr, "reason", p.stderr)
    check(state["rs_kid"] in kids(jwks()), "RSA key still published")
    verify_both(state["rs_token"], "RS256")


rep.case("item 5: a rotation that would retire a key whose tokens are still "
         "valid is refused without --force", rotation_refused_while_tokens_live)


def guard_uses_latest_exp_issued():
    # Tokens issued under the RSA key expire within the 60-minute lifetime;
    # shorten the lifetime setting: the guard must still see the latest exp
    # actually issued, not the current setting.
    c.ctl("param", "set", "oauth-access-token-minutes", "1")
    p = c.ctl("keys", "rotate", "--key-type", "ed25519", check=False)
    check(p.returncode != 0 and "signed tokens valid until" in p.stderr,
          "still refused after the lifetime setting shrank", p.stderr)
    c.ctl("param", "set", "oauth-access-token-minutes", "60")


rep.case("item 5: the guard uses the latest exp issued under the key, not "
         "the lifetime setting", guard_uses_latest_exp_issued)


def rotation_after_last_exp():
    # As if the RSA key's last token had expired (beyond the 60 s skew).
    db("UPDATE signing_key SET last_exp = ? WHERE kid = ?", int(time.time()) - 61,
       state["rs_kid"])
    c.ctl("keys", "rotate", "--key-type", "ed25519", "--publish-ahead", "0")
    ks = wait_for("the RSA key to leave the JWKS",
                  lambda: state["rs_kid"] not in kids(jwks()) and kids(jwks()))
    check(state["ec_kid"] in ks and len(ks) == 2, "EC key kept", ks)
    verify_both(state["ec_token"], "ES256")       # before the rotation


rep.case("item 5: after its last token expired the key is retired and leaves "
         "the JWKS; tokens of the remaining key still verify",
         rotation_after_last_exp)


def eddsa_signs():
    tok = wait_for("an EdDSA token",
                   lambda: (lambda t: t if jwt.get_unverified_header(t)["alg"] ==
                            "EdDSA" else None)(refresh()))
    verify_both(tok, "EdDSA")
    verify_both(state["ec_token"], "ES256")
    jwk_members()


rep.case("EdDSA token (publish-ahead 0) verifies with PyJWT and jwcrypto; "
         "ES256 tokens from before the rotation still verify", eddsa_signs)

rep.finish()

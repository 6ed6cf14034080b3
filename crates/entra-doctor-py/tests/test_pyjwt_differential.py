"""entra-doctor against the troubleshooting guide's own PyJWT snippet.

The guide decodes with ``jwt.decode(token, options={"verify_signature": False})``
and validates with the issuer's signing key, ``algorithms=["RS256"]`` and the
Azure Databricks audience. Here the key comes from a local JWKS (tests never
go online) but the calls are the guide's.

Asserted: the same claims and header decoded; entra-doctor never accepts what
PyJWT refuses; and where PyJWT accepts what entra-doctor refuses, the case
names the rule that refuses it.
"""

from __future__ import annotations

import base64
import json
import time

import jwt  # PyJWT
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import entra_doctor
from conftest import DATABRICKS, EXAMPLES, TENANT, cases


def guide_decode(token: str) -> dict:
    """The guide's first snippet: look inside, verify nothing."""
    return jwt.decode(token, options={"verify_signature": False})


def guide_validate(token: str, jwks: dict, audience: str = DATABRICKS, clock: bool = True) -> bool:
    """The guide's second snippet, with the key looked up by kid in a local
    JWKS instead of PyJWKClient's download."""
    try:
        kid = jwt.get_unverified_header(token).get("kid") or jwt.get_unverified_header(token).get("x5t")
        key = jwt.PyJWKSet.from_dict(jwks)[kid].key
        options = {} if clock else {"verify_exp": False, "verify_nbf": False, "verify_iat": False}
        jwt.decode(token, key, algorithms=["RS256"], audience=audience, options=options)
        return True
    except (jwt.PyJWTError, KeyError):
        return False


def test_same_claims_and_header_as_pyjwt_on_real_microsoft_tokens():
    all_cases = cases("real-entra")
    assert len(all_cases) == 23
    for name, token, _, _ in all_cases:
        d = entra_doctor.decode(token)
        assert d.claims == guide_decode(token), name
        assert d.header == jwt.get_unverified_header(token), name


def test_real_microsoft_tokens_pass_both_with_their_own_audience():
    for name, token, keys, claims in cases("real-entra"):
        jwks = json.loads(keys.read_text())
        # PyJWT cannot be given "now": its clock checks are off here and the
        # lifetime is entra-doctor's alone, at the token's own time.
        assert guide_validate(token, jwks, audience=claims["aud"], clock=False), name
        r = entra_doctor.check(token, jwks=jwks, audience=claims["aud"], tenant=claims.get("tid"),
                               at=claims["suggested_validation_time"])
        assert r.get("signature").status == "pass", name
        # PyJWT accepts an ID token as readily as an access token; the rule
        # that refuses some of them here is `identity`.
        if claims["token_kind"] == "id_token":
            assert r.failed in ([], ["identity"]), (name, r.failed)
        else:
            assert r.valid, (name, r.failed)
        # And now (years later) PyJWT's clock and ours both say expired.
        assert not guide_validate(token, jwks, audience=claims["aud"]), name
        assert "lifetime" in entra_doctor.check(token, jwks=jwks, audience=claims["aud"]).failed


def test_real_negative_tokens_are_refused_by_both():
    for name, token, keys, claims in cases("real-entra-negative"):
        jwks = json.loads(keys.read_text())
        assert not guide_validate(token, jwks, audience=claims["aud"], clock=False), name
        r = entra_doctor.check(token, jwks=jwks, audience=claims["aud"],
                               at=claims.get("suggested_validation_time", claims.get("iat", 0) + 60))
        assert not r.valid and r.failed in (["signature"], ["format"]), (name, r.failed)


# ---------------------------------------------------- minted differences --

def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def signer():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_numbers()
    kid = "pyjwt-differential"
    jwks = {"keys": [{"kty": "RSA", "use": "sig", "kid": kid,
                      "n": _b64(pub.n.to_bytes(256, "big")), "e": _b64(pub.e.to_bytes(3, "big"))}]}

    def sign(claims: dict, header: dict | None = None) -> str:
        h = {"typ": "JWT", "alg": "RS256", "kid": kid, **(header or {})}
        si = _b64(json.dumps(h).encode()) + "." + _b64(json.dumps(claims).encode())
        return si + "." + _b64(key.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256()))

    return sign, jwks


def _user_claims(**over):
    now = int(time.time())
    c = {"aud": DATABRICKS, "iss": f"https://sts.windows.net/{TENANT}/", "iat": now - 60,
         "nbf": now - 60, "exp": now + 3600, "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
         "oid": "00000000-0000-4000-8000-000000000001", "scp": "user_impersonation",
         "sub": "s1", "tid": TENANT, "upn": "user1@contoso.example",
         "unique_name": "user1@contoso.example", "ver": "1.0"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


OTHER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"

# (case, claims changes, header changes, rules entra-doctor refuses it by
# where PyJWT's guide snippet accepts it; None: both refuse)
DIFFERENCES = [
    ("a good token", {}, {}, []),
    ("another tenant's token (PyJWT checks no tenant)",
     {"tid": OTHER_TENANT, "iss": f"https://sts.windows.net/{OTHER_TENANT}/"}, {}, ["issuer", "tenant"]),
    ("an issuer that is not Entra ID (PyJWT checks no issuer)",
     {"iss": "https://evil.example/"}, {}, ["issuer"]),
    ("no exp at all (PyJWT requires none)", {"exp": None}, {}, ["lifetime"]),
    ("the wrong audience", {"aud": "https://management.core.windows.net/"}, {}, None),
    ("expired an hour ago", {"exp": int(time.time()) - 3600, "nbf": int(time.time()) - 7200,
                             "iat": int(time.time()) - 7200}, {}, None),
    ("not yet valid", {"nbf": int(time.time()) + 3600}, {}, None),
]


@pytest.mark.parametrize("case, claims, header, refused_by", DIFFERENCES,
                         ids=[d[0] for d in DIFFERENCES])
def test_where_pyjwt_accepts_what_we_refuse_the_rule_is_named(signer, case, claims, header, refused_by):
    sign, jwks = signer
    token = sign(_user_claims(**claims), header)
    theirs = guide_validate(token, jwks)
    r = entra_doctor.check(token, jwks=jwks, tenant=TENANT)
    if refused_by is None:
        assert not theirs and not r.valid, case
    else:
        assert theirs, case
        assert r.failed == refused_by, (case, r.failed)
    # Never looser than PyJWT.
    assert not (r.valid and not theirs), case


def test_a_token_whose_header_names_hs256_is_refused_by_both(signer):
    sign, jwks = signer
    good = sign(_user_claims())
    _, payload, sig = good.split(".")
    forged = _b64(json.dumps({"alg": "HS256", "kid": "pyjwt-differential"}).encode()) + "." + payload + "." + sig
    assert not guide_validate(forged, jwks)
    assert "signature" in entra_doctor.check(forged, jwks=jwks, tenant=TENANT).failed

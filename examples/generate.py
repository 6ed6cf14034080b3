#!/usr/bin/env python3
"""Makes the bundled examples: a signing key made for the purpose (its private
half is thrown away), its JWKS with an x5c certificate (kid == x5t, as Entra
publishes), and tokens shaped like Entra's, valid until 2099.

Run again only to replace the examples: `python3 examples/generate.py`.
Needs the `cryptography` package."""
import base64, datetime, hashlib, json, pathlib, uuid
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

HERE = pathlib.Path(__file__).parent
TENANT = "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f"
DATABRICKS = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()

key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entra-doctor example signing key")])
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2025, 1, 1)).not_valid_after(datetime.datetime(2099, 12, 31))
        .sign(key, hashes.SHA256()))
der = cert.public_bytes(serialization.Encoding.DER)
kid = b64(hashlib.sha1(der).digest())
pub = key.public_key().public_numbers()
n = pub.n.to_bytes((pub.n.bit_length() + 7) // 8, "big")
e = pub.e.to_bytes((pub.e.bit_length() + 7) // 8, "big")
jwks = {"keys": [{"kty": "RSA", "use": "sig", "kid": kid, "x5t": kid, "n": b64(n), "e": b64(e),
                  "x5c": [base64.b64encode(der).decode()],
                  "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0"}]}
(HERE / "jwks.json").write_text(json.dumps(jwks, indent=2) + "\n")
(HERE / "signing-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

def sign(claims, extra_header=None):
    header = {"typ": "JWT", "alg": "RS256", "x5t": kid, "kid": kid, **(extra_header or {})}
    si = b64(json.dumps(header, separators=(",", ":")).encode()) + "." + b64(json.dumps(claims, separators=(",", ":")).encode())
    return si + "." + b64(key.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256()))

iat = int(datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc).timestamp())
exp = int(datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
def user(aud, n=0):
    return {"aud": aud, "iss": f"https://sts.windows.net/{TENANT}/", "iat": iat, "nbf": iat, "exp": exp,
            "acr": "1", "aio": "E2ZgYJi4cHWn9pK1", "amr": ["pwd", "mfa"], "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "appidacr": "0", "family_name": "Example", "given_name": "Ada", "ipaddr": "203.0.113.7",
            "name": "Ada Example", "oid": "0b8e4c7a-1f2d-4e3b-9a5c-6d7e8f901234", "puid": "10032001A2B3C4D5",
            "rh": "0.AXkA", "scp": "user_impersonation", "sub": "k3vQ9xY2pL8mN4bV6cX1zA7sD5fG0hJ",
            "tid": TENANT, "unique_name": f"ada{n or ''}@contoso.example", "upn": f"ada{n or ''}@contoso.example",
            "uti": b64(uuid.UUID(int=n).bytes)[:22], "ver": "1.0", "wids": ["b79fbf4d-3ef9-4689-8143-76b194e85509"]}

(HERE / "databricks-token.jwt").write_text(sign(user(DATABRICKS)) + "\n")
(HERE / "arm-token.jwt").write_text(sign(user("https://management.core.windows.net/")) + "\n")
sp = {"aud": DATABRICKS, "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0", "iat": iat, "nbf": iat, "exp": exp,
      "aio": "k2BgYPi4", "azp": "6c1a9e4b-2f3d-4a5b-8c7d-9e0f1a2b3c4d", "azpacr": "1", "idtyp": "app",
      "oid": "5d4c3b2a-1908-4f7e-8d6c-5b4a39281706", "rh": "0.AXkA", "sub": "5d4c3b2a-1908-4f7e-8d6c-5b4a39281706",
      "tid": TENANT, "uti": "Qm9vdHN0cmFwVG9rZW4", "ver": "2.0"}
(HERE / "service-principal-token.jwt").write_text(sign(sp) + "\n")
lines = [sign(user(DATABRICKS, i)) for i in range(1, 6)]
lines += [sign(user("https://management.core.windows.net/", 9)), "not-a-token", lines[0]]
(HERE / "tokens.txt").write_text("\n".join(lines) + "\n")
(HERE / "README.md").write_text(f"""# Examples

Made by `generate.py` with a signing key created for the purpose; its private half was discarded.
Tokens are shaped like Entra ID's and valid until 2099. Tenant: `{TENANT}`.

| file | what |
|---|---|
| `jwks.json` | the key set (one RSA key with its x5c certificate; kid == x5t) |
| `signing-cert.pem` | the same key as a PEM certificate |
| `databricks-token.jwt` | a v1 user token for Azure Databricks: passes every check |
| `arm-token.jwt` | the same user's token for Azure Resource Manager: fails `audience` |
| `service-principal-token.jwt` | a v2 service-principal token for Azure Databricks |
| `tokens.txt` | a small batch: 5 good tokens, 1 wrong audience, 1 malformed line, 1 repeat |
""")
print("kid", kid)

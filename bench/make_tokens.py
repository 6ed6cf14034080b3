#!/usr/bin/env python3
"""Writes N distinct RS256 Azure Databricks tokens (v1 user tokens, valid until
2099), each repeated R times round-robin, and the JWKS that verifies them.

usage: make_tokens.py N R TOKENS_OUT JWKS_OUT   (needs the `cryptography` package)"""
import base64, hashlib, json, os, sys, datetime
from multiprocessing import Pool
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
TENANT = "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f"
KEY = None
KID = None

def init(pem, kid):
    global KEY, KID
    KEY = serialization.load_pem_private_key(pem, None)
    KID = kid

def mint(i):
    h = {"typ": "JWT", "alg": "RS256", "x5t": KID, "kid": KID}
    c = {"aud": "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d", "iss": f"https://sts.windows.net/{TENANT}/",
         "iat": 1748736000, "nbf": 1748736000, "exp": 4070908800, "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
         "appidacr": "0", "name": f"User {i}", "oid": f"00000000-0000-4000-8000-{i:012d}", "scp": "user_impersonation",
         "sub": f"sub{i}", "tid": TENANT, "unique_name": f"user{i}@contoso.example", "upn": f"user{i}@contoso.example",
         "uti": f"uti{i}", "ver": "1.0"}
    si = b64(json.dumps(h, separators=(",", ":")).encode()) + "." + b64(json.dumps(c, separators=(",", ":")).encode())
    return si + "." + b64(KEY.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256()))

def main():
    n, r, out, jwks_out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entra-doctor bench key")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime.datetime(2025, 1, 1))
            .not_valid_after(datetime.datetime(2099, 1, 1)).sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    kid = b64(hashlib.sha1(der).digest())
    pub = key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "RSA", "use": "sig", "kid": kid, "x5t": kid,
                      "n": b64(pub.n.to_bytes(256, "big")), "e": b64(pub.e.to_bytes(3, "big")),
                      "x5c": [base64.b64encode(der).decode()]}]}
    open(jwks_out, "w").write(json.dumps(jwks))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with Pool(os.cpu_count(), initializer=init, initargs=(pem, kid)) as p:
        tokens = p.map(mint, range(n), chunksize=500)
    with open(out, "w") as f:
        for _ in range(r):
            for t in tokens:
                f.write(t + "\n")

if __name__ == "__main__":
    main()

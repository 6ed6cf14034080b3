#!/usr/bin/env python3
"""Tokens for bench/serve-auth.sh: a signing key made for the run, its JWKS,
N distinct valid Azure Databricks tokens, and invalid ones of four kinds
(wrong audience, altered signature, expired, malformed).

usage: serve_auth_tokens.py OUT_DIR N_VALID N_INVALID_EACH   (needs `cryptography`)
writes OUT_DIR/jwks.json, valid.txt, invalid.txt and mix.txt (three valid
tokens, then one invalid, and so on: 25 % invalid), one token a line."""
import base64, datetime, hashlib, json, os, sys
from multiprocessing import Pool
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
TENANT = "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f"
DATABRICKS = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
KEY = KID = None

def init(pem, kid):
    global KEY, KID
    KEY, KID = serialization.load_pem_private_key(pem, None), kid

def mint(args):
    i, aud, exp = args
    h = {"typ": "JWT", "alg": "RS256", "x5t": KID, "kid": KID}
    c = {"aud": aud, "iss": f"https://sts.windows.net/{TENANT}/", "iat": 1748736000, "nbf": 1748736000, "exp": exp,
         "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "appidacr": "0", "name": f"User {i}",
         "oid": f"00000000-0000-4000-8000-{i:012d}", "scp": "user_impersonation", "sub": f"sub{i}", "tid": TENANT,
         "unique_name": f"user{i}@contoso.example", "upn": f"user{i}@contoso.example", "uti": f"uti{i}", "ver": "1.0"}
    si = b64(json.dumps(h, separators=(",", ":")).encode()) + "." + b64(json.dumps(c, separators=(",", ":")).encode())
    return si + "." + b64(KEY.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256()))

def main():
    out, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entra-doctor serve bench key")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime.datetime(2025, 1, 1))
            .not_valid_after(datetime.datetime(2099, 1, 1)).sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    kid = b64(hashlib.sha1(der).digest())
    pub = key.public_key().public_numbers()
    big = lambda x: x.to_bytes((x.bit_length() + 7) // 8, "big")
    jwks = {"keys": [{"kty": "RSA", "use": "sig", "kid": kid, "x5t": kid, "n": b64(big(pub.n)), "e": b64(big(pub.e)),
                      "x5c": [base64.b64encode(der).decode()]}]}
    with open(os.path.join(out, "jwks.json"), "w") as f:
        json.dump(jwks, f)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    jobs = [(i, DATABRICKS, 4070908800) for i in range(n)]
    jobs += [(n + i, "https://management.core.windows.net/", 4070908800) for i in range(m)]  # wrong audience
    jobs += [(n + m + i, DATABRICKS, 1750000000) for i in range(m)]  # expired (June 2025)
    jobs += [(n + 2 * m + i, DATABRICKS, 4070908800) for i in range(m)]  # to be altered
    with Pool(os.cpu_count(), init, (pem, kid)) as p:
        toks = p.map(mint, jobs, chunksize=64)
    valid, wrong_aud, expired, to_alter = toks[:n], toks[n:n + m], toks[n + m:n + 2 * m], toks[n + 2 * m:]
    altered = []
    for t in to_alter:
        head, sig = t.rsplit(".", 1)
        c = "A" if sig[20] != "A" else "B"
        altered.append(head + "." + sig[:20] + c + sig[21:])
    malformed = [f"not.a-token-{i}" for i in range(m)]
    with open(os.path.join(out, "valid.txt"), "w") as f:
        f.write("\n".join(valid) + "\n")
    with open(os.path.join(out, "invalid.txt"), "w") as f:
        # Interleaved, so that every stretch of requests has each kind.
        rows = [x for group in zip(wrong_aud, expired, altered, malformed) for x in group]
        f.write("\n".join(rows) + "\n")
    with open(os.path.join(out, "mix.txt"), "w") as f:
        mix = []
        for k, bad in enumerate(rows):
            mix += [valid[(3 * k + j) % len(valid)] for j in range(3)] + [bad]
        f.write("\n".join(mix) + "\n")

if __name__ == "__main__":
    main()

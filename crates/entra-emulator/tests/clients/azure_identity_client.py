"""Drives the emulator with the real azure-identity: ManagedIdentityCredential through
the App Service shape (IDENTITY_ENDPOINT / IDENTITY_HEADER set by the caller).

Every connection to an address other than 127.0.0.1 is refused and recorded, so the
caller can assert that nothing tried IMDS at 169.254.169.254. Prints one JSON object.
"""
import base64
import json
import os
import socket
import sys

attempts = []
_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else str(address)
    if host not in ("127.0.0.1", "localhost"):
        attempts.append(host)
        raise OSError("non-loopback connection refused by the test: %s" % host)
    return _connect(self, address)


socket.socket.connect = _guarded_connect

import azure.identity  # noqa: E402
from azure.identity import ManagedIdentityCredential  # noqa: E402


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def attempt(fn):
    try:
        return {"ok": fn()}
    except Exception as e:
        return {"error": type(e).__name__, "message": str(e)[:500]}


def mi(client_id):
    def run():
        cred = ManagedIdentityCredential(client_id=client_id) if client_id else ManagedIdentityCredential()
        t = cred.get_token(os.environ["EMU_SCOPE"])
        c = claims(t.token)
        return {"appid": c.get("appid"), "aud": c.get("aud"), "expires_on": t.expires_on}
    return run


def wif_over_http():
    # azure-identity only accepts https authority hosts; the emulator serves plain
    # http on loopback, so this is expected to be refused before any request.
    from azure.identity import WorkloadIdentityCredential

    cred = WorkloadIdentityCredential(
        tenant_id=os.environ["EMU_TENANT_ID"],
        client_id=os.environ["EMU_MI_CLIENT_ID"],
        token_file_path=os.environ["EMU_TOKEN_FILE"],
        authority=os.environ["EMU_AUTHORITY"],
    )
    return cred.get_token(os.environ["EMU_SCOPE"]).token[:10]


out = {"azure_identity_version": azure.identity.__version__}
out["mi_client_id"] = attempt(mi(os.environ["EMU_MI_CLIENT_ID"]))
out["mi_ambiguous"] = attempt(mi(None))
out["wif_http_authority"] = attempt(wif_over_http)
out["non_loopback_attempts"] = attempts
json.dump(out, sys.stdout)

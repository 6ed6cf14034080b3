"""Runs the Databricks SDK for Python's own settings resolution and method
choice (databricks.sdk.config.Config) on each case read from standard input,
and prints one JSON line per case: {"ok", "auth_type", "host", "error_kind",
"error"}.

The SDK must never reach the network here. Sockets are closed to every
address, and the three calls the SDK makes while building a Config are
answered in-process instead:
  - host metadata (GET <host>/.well-known/databricks-config): fails, as for a
    host that does not serve it; the SDK then goes on with the settings given;
  - OIDC discovery of the workspace: fixed endpoints on 127.0.0.1 that are
    never contacted (tokens are fetched lazily, after construction);
  - the tenant lookup (GET <host>/aad/auth): skipped.
Which method the SDK picks is decided by its own code, untouched.
"""

import configparser
import json
import os
import socket
import sys


def _refuse(*_args, **_kwargs):
    raise OSError("network disabled in the parity test")


socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse

try:
    import databricks.sdk
    from databricks.sdk import config as sdk_config
    from databricks.sdk import oauth as sdk_oauth
    from databricks.sdk.version import __version__ as sdk_version
except ImportError as e:  # the test fails on this: CI installs the SDK
    print(f"the Databricks SDK for Python is not installed: {e}", file=sys.stderr)
    sys.exit(3)


def _no_metadata(host, client=None):
    raise ValueError("host metadata disabled in the parity test")


def _fixed_endpoints(url, client=None):
    return sdk_oauth.OidcEndpoints(
        authorization_endpoint="http://127.0.0.1:9/oidc/v1/authorize",
        token_endpoint="http://127.0.0.1:9/oidc/v1/token",
    )


sdk_config.get_host_metadata = _no_metadata
sdk_config.get_endpoints_from_url = _fixed_endpoints
sdk_config.Config.load_azure_tenant_id = lambda self: None


def kind(e):
    if isinstance(e, configparser.Error):
        return "config_file"
    text = str(e)
    if "more than one authorization method configured" in text:
        return "conflict"
    if "profile configured" in text or "reserved section name" in text:
        return "profile"
    if "cannot configure default credentials" in text:
        return "no_method"
    return "other"


def main():
    cases = json.load(sys.stdin)
    print(json.dumps({"sdk_version": sdk_version}), flush=True)
    for case in cases:
        os.environ.clear()
        os.environ.update(case["env"])
        try:
            cfg = sdk_config.Config(**case["kwargs"])
            out = {"ok": True, "auth_type": cfg.auth_type, "host": cfg.host}
        except Exception as e:  # noqa: BLE001 - every failure is a result here
            out = {"ok": False, "error_kind": kind(e), "error": str(e)[:300]}
        print(json.dumps(out), flush=True)


main()

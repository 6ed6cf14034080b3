"""Drives the emulator's workspace with the real Databricks SDK for Python.

Reads EMU_HOST, EMU_PAT, EMU_BAD_PAT, EMU_CLIENT_ID, EMU_CLIENT_SECRET from the
environment and prints one JSON object with what the SDK saw.
"""
import json
import os
import sys

from databricks.sdk import WorkspaceClient
import databricks.sdk.version


def attempt(fn):
    try:
        return {"ok": fn()}
    except Exception as e:  # the SDK's error, as a user would see it
        return {"error": type(e).__name__, "message": str(e)}


def main():
    host = os.environ["EMU_HOST"]
    out = {"sdk_version": databricks.sdk.version.__version__}

    def pat_me(token):
        def run():
            w = WorkspaceClient(host=host, token=token, auth_type="pat")
            me = w.current_user.me()
            return {"user_name": me.user_name, "auth_type": w.config.auth_type}
        return run

    def m2m_me(secret):
        def run():
            w = WorkspaceClient(
                host=host,
                client_id=os.environ["EMU_CLIENT_ID"],
                client_secret=secret,
                auth_type="oauth-m2m",
            )
            me = w.current_user.me()
            return {"user_name": me.user_name, "auth_type": w.config.auth_type}
        return run

    out["pat"] = attempt(pat_me(os.environ["EMU_PAT"]))
    out["bad_pat"] = attempt(pat_me(os.environ["EMU_BAD_PAT"]))
    out["m2m"] = attempt(m2m_me(os.environ["EMU_CLIENT_SECRET"]))
    out["m2m_bad_secret"] = attempt(m2m_me("dose-not-the-secret"))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

"""Shared helpers of the Python tests: where the repository, the shared test
data and the CLI binary are, and how to run the CLI on the same inputs.

The differential tests run the CLI built by cargo (target/debug/entra-doctor,
or ENTRA_DOCTOR_BIN): a different build of the same code than the wheel's,
so that "equal to check --json" compares two things. They fail, never skip,
when it is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
EXAMPLES = REPO / "examples"
TESTDATA = REPO.parent / "shared" / "testdata"
TENANT = "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f"
DATABRICKS = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"


def cli_binary() -> str:
    explicit = os.environ.get("ENTRA_DOCTOR_BIN")
    if explicit:
        return explicit
    for profile in ("debug", "release"):
        p = REPO / "target" / profile / "entra-doctor"
        if p.exists():
            return str(p)
    found = shutil.which("entra-doctor")
    if found:
        return found
    raise AssertionError(
        "no entra-doctor binary: run `cargo build -p entra-doctor` or set ENTRA_DOCTOR_BIN"
    )


@pytest.fixture(scope="session")
def cli():
    binary = cli_binary()

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        p = subprocess.run(
            [binary, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "NO_COLOR": "1"},
        )
        return p.returncode, p.stdout, p.stderr

    return run


@pytest.fixture(scope="session")
def cli_json(cli):
    def run(*args: str, stdin: str | None = None):
        code, out, err = cli(args[0], "--json", *args[1:], stdin=stdin)
        try:
            return code, json.loads(out)
        except json.JSONDecodeError as e:
            raise AssertionError(f"not JSON (exit {code}): {out!r} {err!r}") from e

    return run


def shared_data(sub: str) -> Path:
    p = TESTDATA / sub
    assert p.is_dir(), f"{p} is missing: the shared test data sits beside the checkout"
    return p


def cases(sub: str):
    """(name, token, keys path, claims) of a real-entra style corpus."""
    out = []
    for d in sorted(shared_data(sub).iterdir()):
        if d.is_dir():
            out.append(
                (
                    d.name,
                    (d / "token.txt").read_text().strip(),
                    d / "keys.json",
                    json.loads((d / "claims.json").read_text()),
                )
            )
    return out

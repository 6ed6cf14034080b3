"""entra_doctor.spark in pyspark local mode (local[2]): check_tokens over a
generated table agrees with the CLI's `check --batch` line for line.

This test needs pyspark and Java 17 (.ci/run installs both); without them
it fails, it does not skip.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import shutil
import sys

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import entra_doctor
from conftest import DATABRICKS, TENANT

# Imported, not importorskip'd: a missing pyspark fails the run.
from pyspark.sql import SparkSession

from entra_doctor.spark import check_tokens, verdict_udf

ROWS = 3000
AT = 1_800_000_000


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def spark():
    assert shutil.which("java"), "Java is needed for pyspark (.ci/run installs openjdk-17-jre-headless)"
    # The Python workers run this interpreter, with the package under test
    # (not whichever `python3` is first on PATH).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Spark picks its own address from the host name (an interface address
    # when the name resolves to loopback): keep it on 127.0.0.1.
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    s = (SparkSession.builder.master("local[2]").appName("entra-doctor-test")
         .config("spark.ui.enabled", "false")
         .config("spark.driver.host", "127.0.0.1")
         .config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")
         .getOrCreate())
    yield s
    s.stop()


@pytest.fixture(scope="module")
def corpus():
    """ROWS logged tokens: good, other tenant, wrong audience, expired at
    their logging time, forged, repeats, garbage; and the JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "RSA", "use": "sig", "kid": "k1",
                      "n": _b64(pub.n.to_bytes(256, "big")), "e": _b64(pub.e.to_bytes(3, "big"))}]}

    def sign(claims, k=key):
        si = _b64(json.dumps({"typ": "JWT", "alg": "RS256", "kid": "k1"}).encode()) + "." + \
            _b64(json.dumps(claims).encode())
        return si + "." + _b64(k.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256()))

    rng = random.Random(13)
    rows = []
    for i in range(ROWS):
        kind = rng.choice(["good"] * 5 + ["tenant", "audience", "expired", "forged", "repeat", "garbage"])
        tid = TENANT if kind != "tenant" else "72f988bf-86f1-41af-91ab-2d7cd011db47"
        c = {"aud": DATABRICKS if kind != "audience" else "https://management.core.windows.net/",
             "iss": f"https://sts.windows.net/{tid}/", "tid": tid, "ver": "1.0",
             "iat": AT - 600, "nbf": AT - 600, "exp": AT + 3000,
             "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "scp": "user_impersonation",
             "oid": f"00000000-0000-4000-8000-{i:012d}", "sub": f"s{i}",
             "upn": f"user{i}@contoso.example", "unique_name": f"user{i}@contoso.example"}
        logged = dt.datetime.fromtimestamp(AT, dt.timezone.utc)
        if kind == "expired":
            logged = dt.datetime.fromtimestamp(AT + 7200, dt.timezone.utc)
        if kind == "repeat" and rows:
            token = rows[rng.randrange(len(rows))][1]
        elif kind == "garbage":
            token = rng.choice(["not a token", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
        elif kind == "forged":
            token = sign(c, other)
        else:
            token = sign(c)
        rows.append((i + 1, token, logged))
    return rows, jwks


def _cli_batch(cli, tmp_path, rows, jwks, at):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("".join(t + "\n" for _, t, _ in rows))
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(jwks))
    code, out, err = cli("check", "--offline", "--batch", str(tokens), "--jwks", str(keys),
                         "--tenant", TENANT, "--at", str(at))
    assert code in (0, 1), err
    lines = [json.loads(l) for l in out.splitlines()]
    assert len(lines) == len(rows)
    return {l["line"]: l for l in lines}


def test_check_tokens_agrees_with_the_cli_batch_line_for_line(spark, corpus, cli, tmp_path):
    rows, jwks = corpus
    df = spark.createDataFrame(rows, "line long, token string, logged_at timestamp")
    out = check_tokens(df, "token", jwks=jwks, tenant=TENANT, at=AT).orderBy("line").collect()
    expected = _cli_batch(cli, tmp_path, rows, jwks, at=AT)
    assert len(out) == ROWS
    kinds = set()
    for row in out:
        e = expected[row["line"]]
        assert row["valid"] == e["valid"], (row["line"], row["failed"], e)
        assert list(row["failed"]) == e["failed"], row["line"]
        kinds.add(tuple(row["failed"]))
    # The table covers the verdicts it was made to.
    assert {(), ("issuer", "tenant"), ("audience",), ("signature",), ("format",)} <= kinds, kinds
    good = [r for r in out if r["valid"]]
    assert good and all(r["tenant"] == TENANT and r["principal"].endswith("@contoso.example") for r in good)
    assert all(r["expires_at"] == dt.datetime.fromtimestamp(AT + 3000) for r in good)


def test_check_tokens_at_column_checks_each_token_as_of_its_logging_time(spark, corpus):
    rows, jwks = corpus
    df = spark.createDataFrame(rows, "line long, token string, logged_at timestamp")
    out = check_tokens(df, "token", jwks=jwks, tenant=TENANT, at_column="logged_at").collect()
    by_line = {r["line"]: r for r in out}
    for line, token, logged in rows:
        r = entra_doctor.check(token, jwks=jwks, tenant=TENANT, at=logged)
        assert list(by_line[line]["failed"]) == r.failed, line
    assert any("lifetime" in r["failed"] for r in out)


def test_check_tokens_keeps_or_drops_the_token_column_and_reports_null_tokens(spark, corpus):
    rows, jwks = corpus
    df = spark.createDataFrame([(1, None), (2, rows[0][1])], "line long, token string")
    out = {r["line"]: r for r in check_tokens(df, "token", jwks=jwks, tenant=TENANT, at=AT,
                                               with_report=True).collect()}
    assert list(out[1]["failed"]) == ["format"] and out[1]["valid"] is False
    assert json.loads(out[2]["report"]) == entra_doctor.check(rows[0][1], jwks=jwks, tenant=TENANT,
                                                              at=AT).to_dict()
    dropped = check_tokens(df, "token", jwks=jwks, tenant=TENANT, at=AT, keep_token=False)
    assert "token" not in dropped.columns and dropped.columns[0] == "line"
    assert {r["line"]: list(r["failed"]) for r in dropped.collect()} == \
        {k: list(v["failed"]) for k, v in out.items()}
    with pytest.raises(ValueError, match="jwks is required"):
        check_tokens(df, "token", jwks=None)
    with pytest.raises(entra_doctor.KeySetError):
        check_tokens(df, "token", jwks='{"keys": []}')


def test_verdict_udf_in_sql_gives_the_same_verdicts(spark, corpus):
    rows, jwks = corpus
    sample = rows[:200]
    spark.createDataFrame(sample, "line long, token string, logged_at timestamp") \
        .createOrReplaceTempView("logged_tokens")
    spark.udf.register("entra_check", verdict_udf(jwks=jwks, tenant=TENANT))
    got = spark.sql("SELECT line, entra_check(token).valid AS valid, entra_check(token).failed AS failed "
                    "FROM logged_tokens").collect()
    by_line = {r["line"]: r for r in got}
    for line, token, _ in sample:
        r = entra_doctor.check(token, jwks=jwks, tenant=TENANT)
        assert by_line[line]["valid"] == r.valid and list(by_line[line]["failed"]) == r.failed, line


def test_each_check_tokens_job_has_its_own_verified_cache_in_a_worker(corpus):
    from entra_doctor import spark as es

    rows, jwks = corpus
    a = es._cache("job-a")
    token = next(t for _, t, _ in rows if "format" not in entra_doctor.check(t, jwks=jwks, at=AT).failed)
    entra_doctor.check_batch([token] * 3, jwks=jwks, at=AT, cache=a)
    assert es._cache("job-a") is a and len(a) == 1
    b = es._cache("job-b")  # a later job starts empty: nothing answered from job-a's
    assert b is not a and len(b) == 0

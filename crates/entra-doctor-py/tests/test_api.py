"""The Python API against the engine's own CLI: same verdicts, same JSON."""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import entra_doctor
from conftest import DATABRICKS, EXAMPLES, TENANT, cases, shared_data

TOKEN = (EXAMPLES / "databricks-token.jwt").read_text()
ARM = (EXAMPLES / "arm-token.jwt").read_text()
SP = (EXAMPLES / "service-principal-token.jwt").read_text()
JWKS = (EXAMPLES / "jwks.json").read_text()
PEM = (EXAMPLES / "signing-cert.pem").read_text()
AT = 1_800_000_000  # a fixed instant inside the examples' lifetime


def test_the_readme_one_liner_prints_true():
    r = entra_doctor.check(open(EXAMPLES / "databricks-token.jwt").read(),
                           jwks=open(EXAMPLES / "jwks.json").read(), tenant=TENANT)
    assert r.valid is True
    assert r.complete is True
    assert r.failed == []
    assert [f.status for f in r.findings] == ["pass"] * len(r.findings)


@pytest.mark.parametrize("name", ["databricks-token.jwt", "arm-token.jwt",
                                  "service-principal-token.jwt"])
@pytest.mark.parametrize("tenant", [TENANT, "72f988bf-86f1-41af-91ab-2d7cd011db47", None])
def test_to_dict_equals_check_json_of_the_cli(cli_json, name, tenant):
    token = (EXAMPLES / name).read_text()
    args = ["check", "--offline", "--at", str(AT), "--jwks", str(EXAMPLES / "jwks.json")]
    kwargs = {"at": AT, "jwks": JWKS}
    if tenant:
        args += ["--tenant", tenant]
        kwargs["tenant"] = tenant
    code, expected = cli_json(*args, f"@{EXAMPLES / name}")
    r = entra_doctor.check(token, **kwargs)
    assert r.to_dict() == expected
    assert r.valid == expected["valid"] == (code == 0)
    assert json.loads(r.to_json()) == expected


@pytest.mark.parametrize("name", ["databricks-token.jwt", "arm-token.jwt"])
def test_without_keys_only_the_signature_differs_from_the_offline_cli(cli_json, name):
    # The CLI without --jwks looks for keys (discovery, its key cache); the
    # package never goes online: its signature is "no keys were given".
    _, expected = cli_json("check", "--offline", "--no-cache", "--at", str(AT), "--tenant", TENANT,
                           f"@{EXAMPLES / name}")
    r = entra_doctor.check((EXAMPLES / name).read_text(), at=AT, tenant=TENANT).to_dict()
    drop = ("signature", "discovery")
    assert [f for f in r["findings"] if f["check"] not in drop] == \
        [f for f in expected["findings"] if f["check"] not in drop]
    assert r["valid"] == expected["valid"] and r["failed"] == expected["failed"]
    assert r["summary"] == expected["summary"]
    assert r["complete"] is False


def test_a_wrong_audience_fails_audience_with_the_engines_fix():
    r = entra_doctor.check(ARM, jwks=JWKS, tenant=TENANT, at=AT)
    assert r.valid is False
    assert r.failed == ["audience"]
    f = r.get("audience")
    assert f.status == "fail"
    assert f.expected == DATABRICKS
    assert f.actual and f.actual != DATABRICKS
    assert f.fix
    assert r.get("nonexistent") is None


def test_a_wrong_tenant_fails_tenant():
    r = entra_doctor.check(TOKEN, jwks=JWKS, tenant="72f988bf-86f1-41af-91ab-2d7cd011db47", at=AT)
    assert "tenant" in r.failed and not r.valid


def test_without_keys_the_signature_is_skipped_and_the_report_incomplete():
    r = entra_doctor.check(TOKEN, tenant=TENANT, at=AT)
    assert r.get("signature").status == "skip"
    assert r.complete is False


def test_every_form_of_jwks_gives_the_same_report(tmp_path):
    jwks_path = tmp_path / "keys.json"
    jwks_path.write_text(JWKS)
    forms = [
        JWKS,
        json.loads(JWKS),
        json.loads(JWKS)["keys"][0],  # one JWK
        str(jwks_path),
        jwks_path,  # os.PathLike
        JWKS.encode(),
        PEM,
        entra_doctor.KeySet(JWKS),
    ]
    reports = [entra_doctor.check(TOKEN, jwks=k, tenant=TENANT, at=AT).to_dict() for k in forms]
    assert reports[0]["valid"] is True
    for r in reports[1:]:
        assert r["valid"] is True
        assert r["failed"] == []


def test_a_key_set_that_does_not_sign_the_token_fails_signature():
    other = json.loads((shared_data("real-entra") / "23-v1-at-2024-3PaK4-apponly" / "keys.json").read_text())
    r = entra_doctor.check(TOKEN, jwks=other, tenant=TENANT, at=AT)
    assert r.failed == ["signature"]


@pytest.mark.parametrize("bad, fragment", [
    ("{\"keys\": []}", "empty"),
    ("{not json", ""),
    (b"\x00\x01garbage", ""),
    ("/nonexistent/keys.json", "cannot read /nonexistent/keys.json"),
    ("   ", "empty"),
])
def test_an_unusable_key_set_raises_keyseterror_with_the_engines_message(bad, fragment):
    with pytest.raises(entra_doctor.KeySetError) as e:
        entra_doctor.check(TOKEN, jwks=bad)
    assert fragment in str(e.value)
    assert str(e.value)
    assert isinstance(e.value, entra_doctor.Error)
    assert isinstance(e.value, ValueError)
    assert not isinstance(e.value, KeyError)  # the builtin
    assert entra_doctor.KeyError is entra_doctor.KeySetError


def test_a_key_set_over_the_bound_is_refused_before_parsing():
    with pytest.raises(entra_doctor.KeySetError, match="over the limit"):
        entra_doctor.KeySet(b"{" + b" " * (1024 * 1024 + 1) + b"}")


def test_jwks_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="jwks must be"):
        entra_doctor.check(TOKEN, jwks=42)


def test_keyset_parses_once_and_lists_its_kids():
    k = entra_doctor.KeySet(JWKS)
    assert len(k) == 1
    assert k.kids == [json.loads(JWKS)["keys"][0]["kid"]]
    assert k.problems == []
    assert entra_doctor.KeySet(k.to_bytes()).kids == k.kids


def test_at_takes_datetimes_epoch_seconds_and_rfc3339_alike():
    exp = entra_doctor.decode(TOKEN).claims["exp"]
    after = exp + 301  # past the 300 s skew
    forms = [
        after,
        float(after) + 0.5,
        dt.datetime.fromtimestamp(after, dt.timezone.utc),
        dt.datetime.fromtimestamp(after, dt.timezone.utc).replace(tzinfo=None),  # naive = UTC
        dt.datetime.fromtimestamp(after, dt.timezone(dt.timedelta(hours=5))),
        dt.datetime.fromtimestamp(after, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]
    for at in forms:
        r = entra_doctor.check(TOKEN, jwks=JWKS, tenant=TENANT, at=at)
        assert r.failed == ["lifetime"], at
    assert entra_doctor.check(TOKEN, jwks=JWKS, tenant=TENANT, at=exp + 299).valid
    assert entra_doctor.check(TOKEN, jwks=JWKS, tenant=TENANT, at=exp + 301, skew=600).valid


@pytest.mark.parametrize("kwargs, exc, fragment", [
    ({"skew": -1}, ValueError, "out of range"),
    ({"skew": 86_401}, ValueError, "out of range"),
    ({"at": True}, TypeError, "bool"),
    ({"at": "yesterday"}, ValueError, "at:"),
    ({"at": float("nan")}, ValueError, "out of range"),
    ({"at": [1]}, TypeError, "at must be"),
    ({"tenant": "  "}, ValueError, "tenant is empty"),
    ({"audience": []}, ValueError, "empty"),
    ({"algorithms": ["none"]}, ValueError, "algorithms"),
])
def test_bad_arguments_raise_a_specific_python_error(kwargs, exc, fragment):
    with pytest.raises(exc, match=fragment):
        entra_doctor.check(TOKEN, **kwargs)


def test_audience_takes_one_or_many():
    assert entra_doctor.check(ARM, jwks=JWKS, at=AT, audience=["x", DATABRICKS]).failed == ["audience"]
    aud = entra_doctor.decode(ARM).claims["aud"]
    assert entra_doctor.check(ARM, jwks=JWKS, at=AT, audience=aud).valid
    assert entra_doctor.check(ARM, jwks=JWKS, at=AT, audience=["x", aud]).valid


MALFORMED = [
    "",
    "not a token",
    "a.b",
    "a.b.c.d.e",
    "eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.",
    "e30.e30.c2ln",
    "\u202e" * 10,
    "x" * 200_000,
    TOKEN.strip() + "\n" + TOKEN.strip(),
    "Bearer ",
]


@pytest.mark.parametrize("text", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_input_fails_format_as_the_cli_does(cli, cli_json, tmp_path, text):
    f = tmp_path / "t.txt"
    f.write_text(text)
    if len(text) > 128 * 1024:
        # Over the CLI's bound on a token file it refuses to read it; the
        # package refuses the text with the engine's format finding.
        code, out, err = cli("check", "--offline", f"@{f}")
        assert code == 2 and "over the limit" in err
        r = entra_doctor.check(text, jwks=JWKS, at=AT)
        assert r.failed == ["format"] and "over" in r.get("format").message
        return
    _, expected = cli_json("check", "--offline", "--at", str(AT), "--jwks",
                           str(EXAMPLES / "jwks.json"), f"@{f}")
    r = entra_doctor.check(text, jwks=JWKS, at=AT)
    assert r.valid is False
    assert "format" in r.failed
    assert r.to_dict() == expected


@pytest.mark.parametrize("text", MALFORMED, ids=range(len(MALFORMED)))
def test_decode_of_malformed_input_raises_tokenerror_with_the_engines_message(text):
    with pytest.raises(entra_doctor.TokenError) as e:
        entra_doctor.decode(text)
    assert str(e.value)
    r = entra_doctor.check(text)
    if r.get("format") is not None and len(text) < 100_000:
        assert str(e.value) in r.get("format").message or r.get("format").message in str(e.value)


@pytest.mark.parametrize("name", ["databricks-token.jwt", "arm-token.jwt",
                                  "service-principal-token.jwt"])
def test_decode_equals_decode_json_of_the_cli(cli_json, name):
    _, expected = cli_json("decode", "--at", str(AT), f"@{EXAMPLES / name}")
    d = entra_doctor.decode((EXAMPLES / name).read_text(), at=AT)
    assert d.to_dict() == expected
    assert d.header == expected["header"]
    assert d.claims == expected["payload"]
    assert d.summary == expected["summary"]
    assert d.header["alg"] == "RS256"
    assert d.meanings["aud"]  # each known claim explained
    assert {e["name"] for e in d.entries} == set(d.claims)


def test_explain_equals_explain_json_of_the_cli(cli_json):
    for text in ["AADSTS65001", "AADSTS50011: The redirect URI does not match",
                 '{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}']:
        _, expected = cli_json("explain", text)
        e = entra_doctor.explain(text)
        assert e.to_dict() == expected
        assert e.headline == expected["explanation"]["headline"]
        assert e.codes == expected["explanation"]["codes"]
    assert 65001 in entra_doctor.explain("AADSTS65001").codes


def test_explain_of_nothing_recognisable_raises_explainerror(cli):
    with pytest.raises(entra_doctor.ExplainError, match="cannot explain"):
        entra_doctor.explain("")
    with pytest.raises(entra_doctor.ExplainError, match="over the limit"):
        entra_doctor.explain("x" * 70_000)


def test_check_batch_gives_check_one_by_one_in_input_order():
    tokens = [TOKEN, ARM, "garbage", None, SP, TOKEN] * 50
    reports = entra_doctor.check_batch(tokens, jwks=JWKS, tenant=TENANT, at=AT, threads=2)
    assert len(reports) == len(tokens)
    for t, r in zip(tokens, reports):
        assert r.to_dict() == entra_doctor.check(t or "", jwks=JWKS, tenant=TENANT, at=AT).to_dict()
    assert [r.valid for r in reports[:6]] == [True, False, False, False,
                                              entra_doctor.check(SP, jwks=JWKS, tenant=TENANT, at=AT).valid, True]


def test_check_batch_keeps_input_order_over_many_blocks_and_threads_from_a_generator():
    # Blocks of 256 tokens finish out of order on several threads; the
    # results still come back in input order, from any iterable.
    kinds = [TOKEN, ARM, "garbage", None, SP]
    expected = {i: _verdict(entra_doctor.check(t or "", jwks=JWKS, tenant=TENANT, at=AT))
                for i, t in enumerate(kinds)}
    order = [(i * 7 + i // 13) % len(kinds) for i in range(3_001)]
    for threads in (1, 2, 3):
        reports = entra_doctor.check_batch((kinds[k] for k in order), jwks=JWKS, tenant=TENANT,
                                           at=AT, threads=threads)
        assert [_verdict(r) for r in reports] == [expected[k] for k in order], threads
        cols = entra_doctor._native.check_columns(iter([kinds[k] for k in order]), jwks=JWKS,
                                                  tenant=TENANT, at=AT, threads=threads)
        assert list(zip(cols["valid"], cols["complete"], cols["failed"])) == \
            [expected[k] for k in order], threads


def test_check_batch_refuses_a_bad_item_late_in_a_long_batch_without_hanging():
    tokens = [TOKEN] * 2_000 + [42] + [TOKEN] * 2_000
    for threads in (1, 2):
        with pytest.raises(TypeError, match="tokens must be str .*not int"):
            entra_doctor.check_batch(tokens, jwks=JWKS, tenant=TENANT, at=AT, threads=threads)
        with pytest.raises(TypeError, match="tokens must be str .*not int"):
            entra_doctor._native.check_columns(tokens, jwks=JWKS, tenant=TENANT, at=AT,
                                               threads=threads)


def test_check_batch_ats_must_match_the_tokens_one_for_one():
    exp = entra_doctor.decode(TOKEN).claims["exp"]
    tokens = [TOKEN] * 600
    ats = [AT, None, exp + 3600] * 200  # None: the call's `at`
    reports = entra_doctor.check_batch(tokens, jwks=JWKS, tenant=TENANT, at=AT, ats=ats, threads=2)
    assert [r.valid for r in reports] == [True, True, False] * 200
    assert reports[2].failed == ["lifetime"]
    with pytest.raises(ValueError, match="ats has 599 entries for 600 tokens"):
        entra_doctor.check_batch(tokens, jwks=JWKS, at=AT, ats=ats[:-1], threads=2)
    with pytest.raises(ValueError, match="ats has 601 entries for 600 tokens"):
        entra_doctor.check_batch(tokens, jwks=JWKS, at=AT, ats=ats + [AT], threads=2)


def test_an_ats_mismatch_with_an_endless_iterable_fails_fast():
    import itertools
    import time

    start = time.monotonic()
    with pytest.raises(ValueError, match="ats has 10 entries for over 1000011 tokens"):
        entra_doctor.check_batch(itertools.repeat(TOKEN), jwks=JWKS, at=AT, ats=[AT] * 10)
    with pytest.raises(ValueError, match="ats has over 1000010 entries for 10 tokens"):
        entra_doctor.check_batch([TOKEN] * 10, jwks=JWKS, at=AT, ats=itertools.repeat(None))
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("threads", [1, 3])
def test_a_panic_in_a_check_is_a_runtime_error_and_the_next_call_works(threads):
    # A stand-in for an engine bug, through the batch's own reader, threads
    # and order: an Exception (not pyo3's BaseException PanicException), with
    # the panic's message; never an abort of the interpreter.
    tokens = ["a"] * 5_000 + ["boom"] + ["bb"] * 5_000
    with pytest.raises(RuntimeError, match='a check panicked.*asked to panic on "boom"'):
        entra_doctor._native._batch_lengths(tokens, threads=threads, panic_on="boom")
    assert entra_doctor._native._batch_lengths(tokens, threads=threads) == (
        [1] * 5_000 + [4] + [2] * 5_000
    )


def test_a_batch_holds_a_bounded_number_of_tokens_whatever_the_input_length():
    # 100,000 distinct 4 KiB tokens (400 MiB if all were held) from a
    # generator, checked slower than they are read: the reader waits for the
    # checks instead of copying the whole input in. Measured in a fresh
    # interpreter, whose peak is this call's.
    code = """
import resource, entra_doctor
def tokens():
    for i in range(100_000):
        yield f"{i:08d}" + "x" * 4088
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
lengths = entra_doctor._native._batch_lengths(tokens(), threads=2, spin_us=5)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert lengths == [4096] * 100_000
print((after - before) // 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    grown_mib = int(out.stdout)
    assert grown_mib < 64, f"the peak grew by {grown_mib} MiB"


def test_ctrl_c_stops_a_long_batch_between_blocks():
    import signal
    import threading
    import time

    # Python's own Ctrl-C handler, whatever this process inherited (a job
    # started in the background by a shell ignores SIGINT).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for threads in (2, 1):
            # 200,000 checks of 50 us: 5 s on 2 threads if not interrupted.
            threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
            start = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                entra_doctor._native._batch_lengths(["t"] * 200_000, threads=threads,
                                                    spin_us=50)
            assert time.monotonic() - start < 2.5
    finally:
        signal.signal(signal.SIGINT, previous)
    assert entra_doctor._native._batch_lengths(["t"] * 1_000) == [1] * 1_000


def _verdict(r):
    return (r.valid, r.complete, r.failed)


def _columns_of_check(r, at):
    """The verdict columns check_columns gives, from one full check()."""
    s = r.summary or {}
    fail = next((f for f in r.findings if f.status == "fail"), None)
    left = s.get("expires_in_secs")
    return dict(valid=r.valid, complete=r.complete, failed=r.failed, principal=s.get("principal"),
                principal_type=s.get("principal_type"), tenant=s.get("tenant"),
                audience=s.get("audience"), expires_at=None if left is None else at + left,
                message=fail.message if fail else None)


def _assert_fast_path_agrees(tokens, at, **kwargs):
    """check_batch's verdicts (the brief path and the verified-token cache:
    each token twice, the second a cache hit) and check_columns' columns
    equal check()'s full report, token by token."""
    doubled = [t for t in tokens for _ in (0, 1)]
    reports = entra_doctor.check_batch(doubled, at=at, threads=2, **kwargs)
    cols = entra_doctor._native.check_columns(doubled, at=at, threads=2, **kwargs)
    for i, t in enumerate(doubled):
        full = entra_doctor.check(t or "", at=at, **kwargs)
        assert _verdict(reports[i]) == _verdict(full), (i, t and t[:20])
        row = {name: cols[name][i] for name in entra_doctor.COLUMNS}
        assert row == _columns_of_check(full, at), (i, t and t[:20])
    return reports


def test_check_batch_verdicts_from_the_cache_equal_full_checks_on_the_corpora():
    exp = entra_doctor.decode(TOKEN).claims["exp"]
    mixed = [TOKEN, ARM, SP, "garbage", None, "", "a.b.c", "Bearer " + TOKEN, "x" * 70_000]
    for at in (AT, exp + 3600):  # inside the lifetime, then expired
        _assert_fast_path_agrees(mixed, at, jwks=JWKS, tenant=TENANT)
        _assert_fast_path_agrees(mixed, at, jwks=None, tenant=TENANT)
        _assert_fast_path_agrees(mixed, at, jwks=PEM, audience="https://management.azure.com/")
    for sub in ("real-entra", "real-entra-negative"):
        for name, token, keys, claims in cases(sub):
            at = claims.get("suggested_validation_time", claims.get("iat", 0) + 60)
            _assert_fast_path_agrees([token], at, jwks=keys, audience=claims["aud"],
                                     tenant=claims.get("tid"))
            # Another tenant and a wrong key set: other failures, same agreement.
            _assert_fast_path_agrees([token], at, jwks=JWKS, audience=claims["aud"],
                                     tenant="72f988bf-86f1-41af-91ab-2d7cd011db47")


def test_a_batch_report_builds_its_findings_when_asked_and_they_agree_with_its_verdict():
    reports = entra_doctor.check_batch([ARM, TOKEN], jwks=JWKS, tenant=TENANT, at=AT)
    assert repr(reports[0]) == '<Report valid=False failed=["audience"]>'
    assert [f.check for f in reports[0].findings if f.status == "fail"] == reports[0].failed
    assert reports[1].to_dict()["valid"] is True and reports[1].summary["tenant"] == TENANT
    assert reports[1].findings is not reports[1].findings  # fresh objects, same content
    assert [f.to_dict() for f in reports[1].findings] == [f.to_dict() for f in reports[1].findings]


def test_a_verified_cache_kept_across_calls_answers_only_for_the_same_keys_and_options():
    cache = entra_doctor.VerifiedCache()
    assert len(cache) == 0
    first = entra_doctor.check_batch([TOKEN] * 100 + [SP] * 100, jwks=JWKS, tenant=TENANT, at=AT,
                                     cache=cache)
    assert first[0].valid and len(cache) == 2  # each distinct token verified once
    # Other keys: not answered from the outcome reached with JWKS.
    other = cases("real-entra")[0][2]
    assert _verdict(entra_doctor.check_batch([TOKEN], jwks=other, tenant=TENANT, at=AT, cache=cache)[0]) \
        == _verdict(entra_doctor.check(TOKEN, jwks=other, tenant=TENANT, at=AT))
    assert entra_doctor.check(TOKEN, jwks=other, tenant=TENANT, at=AT).valid is False
    # Other options: another tenant fails tenant, as check() says.
    other_tenant = dict(jwks=JWKS, tenant="72f988bf-86f1-41af-91ab-2d7cd011db47", at=AT)
    wrong = entra_doctor.check_batch([TOKEN], cache=cache, **other_tenant)[0]
    assert "tenant" in wrong.failed
    assert wrong.failed == entra_doctor.check(TOKEN, **other_tenant).failed
    # The same keys and options again, later than exp: the lifetime rule reruns.
    exp = entra_doctor.decode(TOKEN).claims["exp"]
    late = entra_doctor.check_batch([TOKEN], jwks=JWKS, tenant=TENANT, at=exp + 3600, cache=cache)[0]
    assert late.failed == ["lifetime"] and not late.valid
    back = entra_doctor.check_batch([TOKEN], jwks=JWKS, tenant=TENANT, at=AT, cache=cache)[0]
    assert back.valid
    with pytest.raises(ValueError, match="entries"):
        entra_doctor.VerifiedCache(entries=0)
    with pytest.raises(TypeError):
        entra_doctor.check_batch([TOKEN], jwks=JWKS, cache={})


def test_check_batch_with_one_instant_per_token():
    exp = entra_doctor.decode(TOKEN).claims["exp"]
    reports = entra_doctor.check_batch([TOKEN, TOKEN, TOKEN], jwks=JWKS, tenant=TENANT,
                                       ats=[AT, exp + 1000, None], at=AT)
    assert [r.failed for r in reports] == [[], ["lifetime"], []]
    with pytest.raises(ValueError, match="entries"):
        entra_doctor.check_batch([TOKEN], jwks=JWKS, ats=[1, 2])


def test_check_batch_refuses_non_text_tokens():
    with pytest.raises(TypeError, match="tokens must be str"):
        entra_doctor.check_batch([TOKEN, 42], jwks=JWKS)


def test_check_batch_as_arrow_has_the_verdict_columns():
    import pyarrow as pa
    t = entra_doctor.check_batch([TOKEN, ARM, "garbage"], jwks=JWKS, tenant=TENANT, at=AT, output="arrow")
    assert isinstance(t, pa.Table)
    assert t.column_names == list(entra_doctor.COLUMNS)
    assert t.column("valid").to_pylist() == [True, False, False]
    assert t.column("failed").to_pylist() == [[], ["audience"], ["format"]]
    assert t.column("tenant").to_pylist()[:2] == [TENANT, TENANT]
    assert t.column("principal").to_pylist()[2] is None
    exp = entra_doctor.decode(TOKEN).claims["exp"]
    assert t.column("expires_at").to_pylist()[0] == dt.datetime.fromtimestamp(exp, dt.timezone.utc)
    assert t.column("message").to_pylist()[0] is None
    assert t.column("message").to_pylist()[1] == entra_doctor.check(ARM, jwks=JWKS, at=AT).get("audience").message
    with pytest.raises(ValueError, match="output"):
        entra_doctor.check_batch([TOKEN], output="csv")


# ------------------------------------------------------------ corpora --

def test_real_microsoft_tokens_give_the_clis_verdicts(cli_json):
    all_cases = cases("real-entra")
    assert len(all_cases) == 23
    for name, token, keys, claims in all_cases:
        at = claims["suggested_validation_time"]
        kwargs = dict(jwks=keys, at=at, audience=claims["aud"], tenant=claims.get("tid"))
        r = entra_doctor.check(token, **kwargs)
        tenant = ["--tenant", claims["tid"]] if "tid" in claims else []
        _, expected = cli_json("check", "--offline", "--at", str(at), "--audience", claims["aud"],
                               *tenant, "--jwks", str(keys), "--", token)
        assert r.to_dict() == expected, name
        assert r.get("signature").status == "pass", name


def test_real_entra_negative_tokens_are_refused_as_by_the_cli(cli_json):
    index = [json.loads(l) for l in (shared_data("real-entra-negative") / "index.jsonl").read_text().splitlines() if l.strip()]
    expect = {i["case"]: i["expect"] for i in index}
    all_cases = cases("real-entra-negative")
    assert len(all_cases) >= 5
    for name, token, keys, claims in all_cases:
        at = claims.get("suggested_validation_time", claims.get("iat", 0) + 60)
        r = entra_doctor.check(token, jwks=keys, at=at, audience=claims["aud"])
        _, expected = cli_json("check", "--offline", "--at", str(at), "--audience", claims["aud"],
                               "--jwks", str(keys), "--", token)
        assert r.to_dict() == expected, name
        assert expect[name] == "invalid"
        assert r.valid is False, name
        # Graph tokens (header nonce) fail the signature; the altered last
        # character is caught first as non-canonical base64url (format).
        assert r.failed in (["signature"], ["format"]), (name, r.failed)


def _public(jwk: dict) -> dict:
    return {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi", "k")}


def test_wycheproof_jws_vectors_give_the_clis_verdicts(cli_json, tmp_path):
    data = json.loads((shared_data("wycheproof") / "json_web_signature_test.json").read_text())
    compared = 0
    for g in data["testGroups"]:
        key = g.get("public") or _public(g.get("private", {}))
        if not key or key.get("kty") == "oct":
            continue
        alg = key.get("alg")
        kf = tmp_path / f"k{compared}.json"
        kf.write_text(json.dumps(key))
        try:
            ks = entra_doctor.KeySet(key)
        except entra_doctor.KeySetError as e:
            code, out, _ = _cli_raw(cli_json, "check", "--offline", "--jwks", str(kf), "x.y.z")
            assert code == 2, (key, e)
            continue
        for t in g["tests"]:
            jws = t["jws"] if isinstance(t["jws"], str) else None
            if jws is None:
                continue
            args = ["check", "--offline", "--at", str(AT), "--jwks", str(kf)]
            kwargs = dict(jwks=ks, at=AT)
            if alg:
                args += ["--alg", alg]
                kwargs["algorithms"] = [alg]
            tf = tmp_path / "t.txt"
            tf.write_text(jws)
            _, expected = cli_json(*args, f"@{tf}")
            r = entra_doctor.check(jws, **kwargs)
            assert r.to_dict() == expected, t["tcId"]
            if t["result"] == "invalid":
                assert r.get("signature") is None or r.get("signature").status != "pass" \
                    or "format" in r.failed, t["tcId"]
            compared += 1
    assert compared >= 20


def _cli_raw(cli_json, *args):
    from conftest import cli_binary
    p = subprocess.run([cli_binary(), *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


# ------------------------------------------------------------ the command --

def test_the_wheels_entra_doctor_command_runs_the_cli():
    exe = shutil.which("entra-doctor", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    assert exe, "pip install puts entra-doctor on PATH"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert out.stdout.strip() == f"entra-doctor {entra_doctor.__version__}"


def test_python_m_entra_doctor_checks_like_the_cli(cli):
    args = ["check", "--offline", "--json", "--at", str(AT), "--jwks", str(EXAMPLES / "jwks.json"),
            "--tenant", TENANT, f"@{EXAMPLES / 'arm-token.jwt'}"]
    p = subprocess.run([sys.executable, "-m", "entra_doctor", *args], capture_output=True, text=True, timeout=60)
    code, out, _ = cli(*args)
    assert p.returncode == code == 1
    assert json.loads(p.stdout) == json.loads(out)
    bad = subprocess.run([sys.executable, "-m", "entra_doctor", "check", "--no-such-flag"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--no-such-flag" in bad.stderr


def test_check_batch_releases_the_gil_while_it_checks():
    import threading

    tokens = [TOKEN] * 20_000
    done = []
    t = threading.Thread(target=lambda: done.append(
        entra_doctor.check_batch(tokens, jwks=entra_doctor.KeySet(JWKS), tenant=TENANT, at=AT)))
    spins = 0
    t.start()
    while t.is_alive():
        spins += 1
    t.join()
    assert len(done[0]) == len(tokens) and all(r.valid for r in done[0][:10])
    # Holding the GIL for the whole batch would leave this thread a handful
    # of turns at most; released, it spins freely meanwhile.
    assert spins > 10_000, spins


def _elf_dynamic_flags(path):
    """DT_FLAGS of an ELF64 little-endian shared object (0 if absent)."""
    import struct

    data = pathlib.Path(path).read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not an ELF64 LE file"
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 2:  # PT_DYNAMIC
            for at in range(p_offset, p_offset + p_filesz, 16):
                tag, value = struct.unpack_from("<qQ", data, at)
                if tag == 0:
                    break
                if tag == 30:  # DT_FLAGS
                    return value
    return 0


def test_the_extension_needs_no_static_tls_so_a_late_import_cannot_fail():
    # With initial-exec TLS (DF_STATIC_TLS), a module loaded by dlopen takes
    # glibc's small static-TLS reserve; after enough such modules an import
    # fails with "cannot allocate memory in static TLS block".
    DF_STATIC_TLS = 0x10
    flags = _elf_dynamic_flags(entra_doctor._native.__file__)
    assert not flags & DF_STATIC_TLS, f"DT_FLAGS {flags:#x} has STATIC_TLS"

//! `entra_doctor._native`: the entra-doctor engine for Python.
//!
//! Everything decided here is the engine's: a `Report` is the engine's
//! report, `valid` its verdict, `to_dict()` the CLI's `check --json`
//! object built by the CLI's own code. This module only turns Python
//! arguments into the engine's inputs (key set bytes, a `Policy`, "now")
//! and the engine's values into Python objects. It never trusts the
//! token's `alg`, `jku`, `x5u`, `jwk` or `x5c`: the engine does not.
//!
//! Many tokens (`check_batch`, `check_columns`) are checked on all
//! cores with the GIL released, against one key set parsed once (`batch`
//! reads them from Python and makes the results while the workers check).
//!
//! ```python
//! import entra_doctor
//! report = entra_doctor.check(token, jwks=open("jwks.json").read(),
//!                             tenant="8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f")
//! report.valid, report.failed          # (True, []) for a good token
//! reports = entra_doctor.check_batch(tokens, jwks=entra_doctor.KeySet(jwks))
//! ```

mod batch;

// A panic must become a Python exception, never an abort of the interpreter
// (and of a Spark worker): the extension is built with the workspace's
// `python` profile (pyproject.toml; `maturin build --profile python`).
#[cfg(panic = "abort")]
compile_error!(
    "entra-doctor-py must unwind on a panic: build it with `--profile python` \
     (maturin build --profile python), not --release"
);

// The extension's own Rust allocations (never handed to Python, which
// allocates its objects itself): the CLI's allocator, so that the batch's
// threads do not wait on each other's glibc arena locks.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use entra_doctor::pipeline::{self, Fast, Remembered};
use entra_doctor::verified_cache::{Bounds, VerifiedCache};
use entra_explain as engine_explain;
use entra_token::decode::Decoded as EngineDecoded;
use entra_token::findings::{verdict_of_unpassed, Verdict};
use entra_token::limits::{MAX_KEYSET_BYTES, MAX_TOKEN_BYTES};
use entra_token::rules::Detail;
use entra_token::timefmt::parse_instant;
use entra_token::{check_text, input, Algorithm, Finding as EngineFinding, KeySet as EngineKeySet};
use entra_token::{Policy, Report as EngineReport, Status, Summary, Token};
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};

create_exception!(
    entra_doctor,
    Error,
    PyValueError,
    "Base of entra-doctor's errors (a ValueError)."
);
create_exception!(
    entra_doctor,
    TokenError,
    Error,
    "The text is not a token: the engine's message names the part that is wrong."
);
create_exception!(
    entra_doctor,
    KeySetError,
    Error,
    "The key set cannot be used (unreadable, not a JWKS/JWK/PEM/DER, no usable key)."
);
create_exception!(
    entra_doctor,
    ExplainError,
    Error,
    "The input to explain() is not an error the engine recognises."
);

/// Bound on what is read as "a token" (pasted JSON may wrap it), as the CLI.
const MAX_TOKEN_INPUT: usize = MAX_TOKEN_BYTES * 2;
/// Bound on the tokens of one check_batch/check_columns call.
const MAX_BATCH: usize = 50_000_000;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parses JSON the engine serialised into Python objects (dicts keep the
/// engine's order).
fn to_py(py: Python<'_>, value: &serde_json::Value) -> PyResult<PyObject> {
    let text = serde_json::to_string(value).map_err(|e| Error::new_err(e.to_string()))?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

fn json_of<T: serde::Serialize + ?Sized>(v: &T) -> PyResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::new_err(e.to_string()))
}

// ---------------------------------------------------------------- keys

/// A key set parsed once: a JWKS, one JWK, PEM certificate(s) or public
/// key(s), or a DER certificate. Pass it as `jwks=` to reuse it.
#[pyclass(frozen, module = "entra_doctor")]
#[derive(Clone)]
struct KeySet {
    inner: Arc<EngineKeySet>,
    /// The bytes it was parsed from (Spark broadcasts them).
    source: Arc<Vec<u8>>,
}

#[pymethods]
impl KeySet {
    #[new]
    fn py_new(jwks: &Bound<'_, PyAny>) -> PyResult<KeySet> {
        keyset_of(jwks)?.ok_or_else(|| PyTypeError::new_err("jwks is None"))
    }

    /// How many usable keys the set holds.
    fn __len__(&self) -> usize {
        self.inner.keys().len()
    }

    /// The key IDs (`kid`) of the usable keys, in order.
    #[getter]
    fn kids(&self) -> Vec<String> {
        self.inner
            .keys()
            .iter()
            .filter_map(|k| k.kid.clone())
            .collect()
    }

    /// Why some entries of the set were not used (the set still works).
    #[getter]
    fn problems(&self) -> Vec<String> {
        self.inner
            .problems()
            .iter()
            .map(|p| match &p.kid {
                Some(kid) => format!("key {} (kid {kid}): {}", p.index, p.reason),
                None => format!("key {}: {}", p.index, p.reason),
            })
            .collect()
    }

    /// The bytes the set was parsed from.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.source)
    }

    fn __repr__(&self) -> String {
        format!(
            "<entra_doctor.KeySet of {} key(s)>",
            self.inner.keys().len()
        )
    }
}

fn parse_keys(bytes: Vec<u8>, what: &str) -> PyResult<KeySet> {
    if bytes.len() > MAX_KEYSET_BYTES {
        return Err(KeySetError::new_err(format!(
            "{what} is {} bytes, over the limit of {MAX_KEYSET_BYTES}",
            bytes.len()
        )));
    }
    let inner = EngineKeySet::parse(&bytes)
        .map_err(|e| KeySetError::new_err(format!("{what} cannot be used: {e}")))?;
    Ok(KeySet {
        inner: Arc::new(inner),
        source: Arc::new(bytes),
    })
}

fn read_key_file(path: &std::path::Path) -> PyResult<KeySet> {
    let what = format!("the key set {}", path.display());
    let file = std::fs::File::open(path)
        .map_err(|e| KeySetError::new_err(format!("cannot read {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_KEYSET_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| KeySetError::new_err(format!("cannot read {}: {e}", path.display())))?;
    parse_keys(bytes, &what)
}

/// `jwks=`: None, a KeySet, a dict (a JWKS or one JWK), JSON or PEM text,
/// bytes (JSON, PEM or DER), or a path (str or os.PathLike).
fn keyset_of(jwks: &Bound<'_, PyAny>) -> PyResult<Option<KeySet>> {
    let py = jwks.py();
    if jwks.is_none() {
        return Ok(None);
    }
    if let Ok(k) = jwks.downcast::<KeySet>() {
        return Ok(Some(k.get().clone()));
    }
    if jwks.is_instance_of::<PyDict>() || jwks.is_instance_of::<PyList>() {
        let text: String = py
            .import("json")?
            .call_method1("dumps", (jwks,))?
            .extract()?;
        return parse_keys(text.into_bytes(), "the key set").map(Some);
    }
    if let Ok(s) = jwks.downcast::<PyString>() {
        let s = s.to_cow()?;
        let s: &str = &s;
        let t = s.trim_start();
        if t.starts_with('{') || t.starts_with('[') || t.contains("-----BEGIN") {
            return parse_keys(s.as_bytes().to_vec(), "the key set").map(Some);
        }
        if s.trim().is_empty() {
            return Err(KeySetError::new_err("the key set is empty"));
        }
        return read_key_file(std::path::Path::new(s)).map(Some);
    }
    if let Ok(b) = jwks.downcast::<PyBytes>() {
        return parse_keys(b.as_bytes().to_vec(), "the key set").map(Some);
    }
    if jwks.hasattr("__fspath__")? {
        let path: std::path::PathBuf = jwks.extract()?;
        return read_key_file(&path).map(Some);
    }
    Err(PyTypeError::new_err(format!(
        "jwks must be a dict, JSON or PEM text, bytes, a path or an entra_doctor.KeySet, not {}",
        jwks.get_type().name()?
    )))
}

// ---------------------------------------------------------------- policy

/// `at=`: None (now), epoch seconds (int or float), a datetime (naive ones
/// are UTC), or RFC 3339 text.
fn instant_of(at: &Bound<'_, PyAny>) -> PyResult<i64> {
    let py = at.py();
    if at.is_none() {
        return Ok(now());
    }
    if at.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(
            "at must be a datetime or epoch seconds, not a bool",
        ));
    }
    if at.is_instance_of::<PyInt>() {
        return at
            .extract::<i64>()
            .map_err(|_| PyValueError::new_err("at is out of range"));
    }
    if let Ok(f) = at.downcast::<PyFloat>() {
        let v = f.value();
        if !v.is_finite() || v.abs() > 1e15 {
            return Err(PyValueError::new_err(format!("at = {v} is out of range")));
        }
        return Ok(v.floor() as i64);
    }
    if let Ok(s) = at.downcast::<PyString>() {
        return parse_instant(&s.to_cow()?).map_err(|e| PyValueError::new_err(format!("at: {e}")));
    }
    let datetime = py.import("datetime")?;
    if at.is_instance(&datetime.getattr("datetime")?)? {
        let aware = if at.getattr("tzinfo")?.is_none() {
            let kwargs = PyDict::new(py);
            kwargs.set_item("tzinfo", datetime.getattr("timezone")?.getattr("utc")?)?;
            at.call_method("replace", (), Some(&kwargs))?
        } else {
            at.clone()
        };
        let ts: f64 = aware.call_method0("timestamp")?.extract()?;
        return Ok(ts.floor() as i64);
    }
    Err(PyTypeError::new_err(format!(
        "at must be a datetime, epoch seconds or RFC 3339 text, not {}",
        at.get_type().name()?
    )))
}

/// The policy from check()'s keyword arguments, with the CLI's defaults and
/// bounds (`check` options in the README).
fn policy_of(
    audience: Option<&Bound<'_, PyAny>>,
    tenant: Option<&str>,
    issuer: Option<&str>,
    algorithms: Option<Vec<String>>,
    skew: i64,
    now: i64,
) -> PyResult<Policy> {
    let mut p = Policy::databricks(now);
    if let Some(a) = audience.filter(|a| !a.is_none()) {
        let list: Vec<String> = if let Ok(s) = a.downcast::<PyString>() {
            vec![s.to_cow()?.into_owned()]
        } else {
            a.extract()
                .map_err(|_| PyTypeError::new_err("audience must be a str or a list of str"))?
        };
        if list.is_empty() {
            return Err(PyValueError::new_err("audience is an empty list"));
        }
        p.audiences = list;
    }
    if let Some(t) = tenant {
        if t.trim().is_empty() {
            return Err(PyValueError::new_err("tenant is empty"));
        }
        p.tenant = Some(t.trim().to_owned());
    }
    p.issuer = issuer.map(str::to_owned);
    if let Some(algs) = algorithms {
        if algs.is_empty() {
            return Err(PyValueError::new_err("algorithms is an empty list"));
        }
        p.algorithms = algs
            .iter()
            .map(|a| {
                a.parse::<Algorithm>()
                    .map_err(|e| PyValueError::new_err(format!("algorithms: {e}")))
            })
            .collect::<PyResult<_>>()?;
    }
    if !(0..=86_400).contains(&skew) {
        return Err(PyValueError::new_err(format!(
            "skew {skew} is out of range (0 to 86400 seconds)"
        )));
    }
    p.skew_secs = skew;
    Ok(p)
}

// ---------------------------------------------------------------- check

/// One rule's result.
#[pyclass(frozen, module = "entra_doctor")]
struct Finding {
    inner: EngineFinding,
}

#[pymethods]
impl Finding {
    /// The rule's stable name: format, signature, audience, issuer, tenant,
    /// lifetime, identity.
    #[getter]
    fn check(&self) -> &'static str {
        self.inner.check.as_str()
    }
    /// pass, warn, fail or skip.
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }
    #[getter]
    fn expected(&self) -> Option<String> {
        self.inner.expected.clone()
    }
    #[getter]
    fn actual(&self) -> Option<String> {
        self.inner.actual.clone()
    }
    #[getter]
    fn message(&self) -> String {
        self.inner.message.clone()
    }
    #[getter]
    fn fix(&self) -> Option<String> {
        self.inner.fix.clone()
    }
    /// The finding as in `check --json`.
    fn to_dict(&self, py: Python<'_>) -> PyResult<PyObject> {
        to_py(py, &json_of(&self.inner)?)
    }
    fn __repr__(&self) -> String {
        format!(
            "<Finding {} {}: {}>",
            self.inner.check,
            self.inner.status.as_str(),
            self.inner.message
        )
    }
}

/// Every finding of one token and its summary.
struct Full {
    report: EngineReport,
    summary: Option<Summary>,
}

/// What a batch keeps of a token checked on the fast path, to build its
/// findings the first time Python asks for them: the same check, with
/// every finding in full (the engine is pure: the same verdict).
struct Recipe {
    /// The token as the caller gave it (str, bytes or None): its text is
    /// read again when the findings are asked for, so a batch keeps no copy.
    item: PyObject,
    keys: Option<Arc<EngineKeySet>>,
    policy: Arc<Policy>,
    now: i64,
}

impl Recipe {
    fn build(&self) -> Full {
        let mut policy = (*self.policy).clone();
        policy.now = self.now;
        let text = Python::with_gil(|py| batch::text_of(self.item.bind(py)).ok().flatten());
        check_one(text.as_deref().unwrap_or(""), self.keys.as_deref(), &policy)
    }
}

enum Source {
    /// Checked in full (check()).
    Built(Box<Full>),
    /// Checked on the fast path (check_batch): built when first asked for.
    Later(Recipe, OnceLock<Box<Full>>),
}

/// The verdict on one token and every rule's finding.
#[pyclass(frozen, module = "entra_doctor")]
struct Report {
    brief: Brief,
    source: Source,
}

impl Report {
    fn built(full: Full) -> Report {
        Report {
            brief: Brief::of_report(&full.report),
            source: Source::Built(Box::new(full)),
        }
    }

    fn full(&self) -> &Full {
        match &self.source {
            Source::Built(f) => f,
            Source::Later(recipe, cell) => cell.get_or_init(|| Box::new(recipe.build())),
        }
    }

    fn json(&self) -> PyResult<serde_json::Value> {
        let full = self.full();
        entra_doctor::check_json(&full.report, full.summary.as_ref())
            .map_err(|e| Error::new_err(e.to_string()))
    }
}

#[pymethods]
impl Report {
    /// The engine's verdict, as `check`'s exit status 0 and `"valid"`.
    #[getter]
    fn valid(&self) -> bool {
        self.brief.valid
    }
    /// Every check ran (none skipped).
    #[getter]
    fn complete(&self) -> bool {
        self.brief.complete
    }
    /// The names of the failed checks.
    #[getter]
    fn failed(&self) -> Vec<&'static str> {
        self.brief.failed.clone()
    }
    #[getter]
    fn findings(&self) -> Vec<Finding> {
        self.full()
            .report
            .findings
            .iter()
            .map(|f| Finding { inner: f.clone() })
            .collect()
    }
    /// What the token is (as `check --json`'s `summary`); None when the text
    /// did not parse as a token.
    #[getter]
    fn summary(&self, py: Python<'_>) -> PyResult<Option<PyObject>> {
        match &self.full().summary {
            Some(s) => Ok(Some(to_py(py, &json_of(s)?)?)),
            None => Ok(None),
        }
    }
    /// The finding of one check, by name, or None.
    fn get(&self, check: &str) -> Option<Finding> {
        self.full()
            .report
            .get(check)
            .map(|f| Finding { inner: f.clone() })
    }
    /// The object `entra-doctor check --json` prints for this token.
    fn to_dict(&self, py: Python<'_>) -> PyResult<PyObject> {
        to_py(py, &self.json()?)
    }
    /// `check --json`'s object as compact JSON text.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.json()?).map_err(|e| Error::new_err(e.to_string()))
    }
    fn __repr__(&self) -> String {
        format!(
            "<Report valid={} failed={:?}>",
            if self.brief.valid { "True" } else { "False" },
            self.brief.failed
        )
    }
}

/// A token's verdict without its words: what `.valid`, `.complete` and
/// `.failed` answer.
struct Brief {
    valid: bool,
    complete: bool,
    failed: Vec<&'static str>,
}

impl Brief {
    fn of_report(r: &EngineReport) -> Brief {
        Brief {
            valid: r.valid(),
            complete: r.complete(),
            failed: r.failed().collect(),
        }
    }

    /// From the fast path's findings: every report the rules make has a
    /// `signature` finding, so the findings that did not pass decide.
    fn of_fast(fast: &Fast) -> Brief {
        let mut failed = Vec::new();
        let mut complete = true;
        for f in fast.findings() {
            match f.status {
                Status::Fail => failed.push(f.check.as_str()),
                Status::Skip => complete = false,
                _ => {}
            }
        }
        // In the order of a full report (a cache hit gives `lifetime` last).
        failed.sort_by_key(|name| check_rank(name));
        let unpassed = fast.findings().filter(|f| f.status != Status::Pass);
        Brief {
            valid: verdict_of_unpassed(unpassed) == Verdict::Valid,
            complete,
            failed,
        }
    }
}

/// The place of a check in a full report.
fn check_rank(name: &str) -> usize {
    entra_token::Check::OFFLINE
        .iter()
        .position(|c| *c == name)
        .unwrap_or(usize::MAX)
}

// ---------------------------------------------------------------- cache

/// The verified-token cache of the CLI's `check --batch`, for Python: a
/// token checked before with the same key set and options is answered
/// without verifying its signature again (only the `lifetime` rule reruns).
/// It holds no token, only SHA-256 digests of them, and is bounded in
/// entries, bytes (24 MiB) and idle time (15 min).
#[pyclass(frozen, module = "entra_doctor", name = "VerifiedCache")]
struct TokenCache {
    cache: VerifiedCache<Remembered>,
    /// The generation in use and what it was reached with: the key set's
    /// bytes and the policy but for its time.
    state: Mutex<(u64, Option<CacheUse>)>,
}

type CacheUse = (Option<Arc<Vec<u8>>>, Policy);

impl TokenCache {
    fn with_entries(entries: usize) -> TokenCache {
        TokenCache {
            cache: VerifiedCache::new(Bounds::entries(entries)),
            state: Mutex::new((0, None)),
        }
    }

    /// The generation for a call with `keys` and `policy`: the one in use
    /// when both are those it was reached with, else a new one (so that no
    /// outcome reached with other keys or options is answered).
    fn generation(&self, keys: Option<&KeySet>, policy: &Policy) -> u64 {
        let mut timeless = policy.clone();
        timeless.now = 0;
        let source = keys.map(|k| k.source.clone());
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let same = match &state.1 {
            Some((s, p)) => {
                *p == timeless
                    && match (s, &source) {
                        (None, None) => true,
                        (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
                        _ => false,
                    }
            }
            None => false,
        };
        if !same {
            state.0 += 1;
            state.1 = Some((source, timeless));
        }
        state.0
    }
}

#[pymethods]
impl TokenCache {
    #[new]
    #[pyo3(signature = (entries=DEFAULT_CACHE_ENTRIES))]
    fn py_new(entries: usize) -> PyResult<TokenCache> {
        if !(1..=MAX_CACHE_ENTRIES).contains(&entries) {
            return Err(PyValueError::new_err(format!(
                "entries {entries} is out of range (1 to {MAX_CACHE_ENTRIES})"
            )));
        }
        Ok(TokenCache::with_entries(entries))
    }
    /// How many tokens it remembers.
    fn __len__(&self) -> usize {
        self.cache.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "<entra_doctor.VerifiedCache of {} token(s), at most {}>",
            self.cache.len(),
            self.cache.capacity()
        )
    }
}

/// Entries of a cache made for one call, as the CLI batch's.
const DEFAULT_CACHE_ENTRIES: usize = 1 << 17;
const MAX_CACHE_ENTRIES: usize = 1 << 24;

/// One token on the fast path: the CLI batch's `check_cached` (brief
/// findings, the verified-token cache), with the keys given or none. The
/// one place the Python package calls it.
fn check_fast(
    text: &str,
    keys: Option<&Arc<EngineKeySet>>,
    policy: &Policy,
    cache: &VerifiedCache<Remembered>,
    generation: u64,
) -> Fast {
    if text.len() > MAX_TOKEN_INPUT {
        let e = entra_token::FormatError::TooLong {
            len: text.len(),
            max: MAX_TOKEN_INPUT,
        };
        return Fast::Checked(entra_token::rules::malformed_report(&e));
    }
    pipeline::check_cached(text, policy, cache, generation, Detail::Brief, |_| {
        Ok(keys.map(|k| pipeline::KeysFor::Held(k)))
    })
}

fn check_one(text: &str, keys: Option<&EngineKeySet>, policy: &Policy) -> Full {
    let (token, report) = if text.len() > MAX_TOKEN_INPUT {
        let e = entra_token::FormatError::TooLong {
            len: text.len(),
            max: MAX_TOKEN_INPUT,
        };
        (None, entra_token::rules::malformed_report(&e))
    } else {
        check_text(text, keys, policy)
    };
    let summary = token.as_ref().map(|t| Summary::of_checked(t, policy));
    Full { report, summary }
}

/// check(token, *, jwks=None, audience=None, tenant=None, issuer=None,
/// at=None, skew=300, algorithms=None) -> Report
#[pyfunction]
#[pyo3(signature = (token, *, jwks=None, audience=None, tenant=None, issuer=None, at=None, skew=300, algorithms=None))]
#[allow(clippy::too_many_arguments)]
fn check(
    token: &str,
    jwks: Option<&Bound<'_, PyAny>>,
    audience: Option<&Bound<'_, PyAny>>,
    tenant: Option<&str>,
    issuer: Option<&str>,
    at: Option<&Bound<'_, PyAny>>,
    skew: i64,
    algorithms: Option<Vec<String>>,
) -> PyResult<Report> {
    let keys = match jwks {
        Some(j) => keyset_of(j)?,
        None => None,
    };
    let now = match at {
        Some(a) => instant_of(a)?,
        None => now(),
    };
    let policy = policy_of(audience, tenant, issuer, algorithms, skew, now)?;
    Ok(Report::built(check_one(
        token,
        keys.as_ref().map(|k| &*k.inner),
        &policy,
    )))
}

/// The options every batch call shares, read into the engine's inputs.
struct BatchOptions {
    keys: Option<KeySet>,
    policy: Policy,
    threads: usize,
}

impl BatchOptions {
    #[allow(clippy::too_many_arguments)]
    fn of(
        jwks: Option<&Bound<'_, PyAny>>,
        audience: Option<&Bound<'_, PyAny>>,
        tenant: Option<&str>,
        issuer: Option<&str>,
        at: Option<&Bound<'_, PyAny>>,
        skew: i64,
        algorithms: Option<Vec<String>>,
        threads: Option<usize>,
    ) -> PyResult<BatchOptions> {
        let keys = match jwks {
            Some(j) => keyset_of(j)?,
            None => None,
        };
        let now = match at {
            Some(a) => instant_of(a)?,
            None => now(),
        };
        Ok(BatchOptions {
            keys,
            policy: policy_of(audience, tenant, issuer, algorithms, skew, now)?,
            threads: threads.unwrap_or_else(default_threads),
        })
    }

    /// The tokens (and `ats`) of the call, to read a block at a time
    /// (with `keep`, the token objects too).
    fn reader<'py>(
        &self,
        tokens: &Bound<'py, PyAny>,
        ats: Option<&Bound<'py, PyAny>>,
        keep: bool,
    ) -> PyResult<batch::Reader<'py>> {
        batch::Reader::new(tokens, ats, self.policy.now, MAX_BATCH, keep, instant_of)
    }
}

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// check_batch(tokens, *, jwks=None, ..., ats=None, threads=None,
/// cache=None) -> list[Report]
#[pyfunction]
#[pyo3(signature = (tokens, *, jwks=None, audience=None, tenant=None, issuer=None, at=None, skew=300, algorithms=None, ats=None, threads=None, cache=None))]
#[allow(clippy::too_many_arguments)]
fn check_batch<'py>(
    py: Python<'py>,
    tokens: &Bound<'py, PyAny>,
    jwks: Option<&Bound<'py, PyAny>>,
    audience: Option<&Bound<'py, PyAny>>,
    tenant: Option<&str>,
    issuer: Option<&str>,
    at: Option<&Bound<'py, PyAny>>,
    skew: i64,
    algorithms: Option<Vec<String>>,
    ats: Option<&Bound<'py, PyAny>>,
    threads: Option<usize>,
    cache: Option<&Bound<'py, TokenCache>>,
) -> PyResult<Bound<'py, PyList>> {
    let options = BatchOptions::of(
        jwks, audience, tenant, issuer, at, skew, algorithms, threads,
    )?;
    let own;
    let cache = match cache {
        Some(c) => c.get(),
        None => {
            own = TokenCache::with_entries(DEFAULT_CACHE_ENTRIES);
            &own
        }
    };
    let generation = cache.generation(options.keys.as_ref(), &options.policy);
    let keys = options.keys.as_ref().map(|k| k.inner.clone());
    let policy = Arc::new(options.policy.clone());
    let mut reports: Vec<Py<Report>> = Vec::new();
    batch::run(
        py,
        options.reader(tokens, ats, true)?,
        &options.policy,
        options.threads,
        |text, p| {
            Brief::of_fast(&check_fast(
                text,
                keys.as_ref(),
                p,
                &cache.cache,
                generation,
            ))
        },
        |block| {
            for ((brief, item), now) in block
                .results
                .into_iter()
                .zip(block.items)
                .zip(block.instants)
            {
                let recipe = Recipe {
                    item,
                    keys: keys.clone(),
                    policy: policy.clone(),
                    now,
                };
                reports.push(Py::new(
                    py,
                    Report {
                        brief,
                        source: Source::Later(recipe, OnceLock::new()),
                    },
                )?);
            }
            Ok(())
        },
    )?;
    PyList::new(py, reports)
}

/// The verdict columns of many tokens (for Arrow tables and Spark):
/// a dict of lists, `expires_at` in epoch seconds.
#[pyfunction]
#[pyo3(signature = (tokens, *, jwks=None, audience=None, tenant=None, issuer=None, at=None, skew=300, algorithms=None, ats=None, threads=None, reports=false, cache=None))]
#[allow(clippy::too_many_arguments)]
fn check_columns<'py>(
    py: Python<'py>,
    tokens: &Bound<'py, PyAny>,
    jwks: Option<&Bound<'py, PyAny>>,
    audience: Option<&Bound<'py, PyAny>>,
    tenant: Option<&str>,
    issuer: Option<&str>,
    at: Option<&Bound<'py, PyAny>>,
    skew: i64,
    algorithms: Option<Vec<String>>,
    ats: Option<&Bound<'py, PyAny>>,
    threads: Option<usize>,
    reports: bool,
    cache: Option<&Bound<'py, TokenCache>>,
) -> PyResult<Bound<'py, PyDict>> {
    let options = BatchOptions::of(
        jwks, audience, tenant, issuer, at, skew, algorithms, threads,
    )?;
    let own;
    let cache = match cache {
        Some(c) => c.get(),
        None => {
            own = TokenCache::with_entries(DEFAULT_CACHE_ENTRIES);
            &own
        }
    };
    let generation = cache.generation(options.keys.as_ref(), &options.policy);
    let keys = options.keys.as_ref().map(|k| k.inner.clone());
    let columns = Columns::new(py, reports);
    batch::run(
        py,
        options.reader(tokens, ats, false)?,
        &options.policy,
        options.threads,
        |text, p| {
            if reports {
                Row::of_full(check_one(text, keys.as_deref(), p), p.now)
            } else {
                let fast = check_fast(text, keys.as_ref(), p, &cache.cache, generation);
                Row::of_fast(&fast, text, p)
            }
        },
        |block| {
            block
                .results
                .into_iter()
                .try_for_each(|row| columns.push(row))
        },
    )?;
    columns.into_dict(py)
}

/// One token's verdict columns.
struct Row {
    brief: Brief,
    principal: Option<String>,
    principal_type: Option<&'static str>,
    tenant: Option<String>,
    audience: Option<String>,
    expires_at: Option<i64>,
    message: Option<String>,
    report: Option<String>,
}

impl Row {
    fn new(brief: Brief, summary: Option<Summary>, now: i64, message: Option<String>) -> Row {
        let (principal, principal_type, tenant, audience, expires_at) = match summary {
            Some(s) => (
                s.principal,
                Some(s.principal_type),
                s.tenant,
                s.audience,
                s.expires_in_secs.map(|left| now + left),
            ),
            None => (None, None, None, None, None),
        };
        Row {
            brief,
            principal,
            principal_type,
            tenant,
            audience,
            expires_at,
            message,
            report: None,
        }
    }

    /// From a full check, with `check --json`'s object.
    fn of_full(full: Full, now: i64) -> Row {
        let report = entra_doctor::check_json(&full.report, full.summary.as_ref())
            .ok()
            .and_then(|v| serde_json::to_string(&v).ok());
        let message = full
            .report
            .findings
            .iter()
            .find(|f| f.status == Status::Fail)
            .map(|f| f.message.clone());
        let brief = Brief::of_report(&full.report);
        Row {
            report,
            ..Row::new(brief, full.summary, now, message)
        }
    }

    /// From the fast path; the summary from the token read again (a cache
    /// hit did not read it).
    fn of_fast(fast: &Fast, text: &str, policy: &Policy) -> Row {
        let message = fast
            .findings()
            .filter(|f| f.status == Status::Fail)
            .min_by_key(|f| check_rank(f.check.as_str()))
            .map(|f| f.message.clone());
        let summary = if text.len() > MAX_TOKEN_INPUT {
            None
        } else {
            input::extract(text)
                .and_then(|(t, _)| Token::parse(t))
                .ok()
                .map(|t| Summary::of_checked(&t, policy))
        };
        Row::new(Brief::of_fast(fast), summary, policy.now, message)
    }
}

/// The verdict columns, as Python lists filled a row at a time.
struct Columns<'py> {
    valid: Bound<'py, PyList>,
    complete: Bound<'py, PyList>,
    failed: Bound<'py, PyList>,
    principal: Bound<'py, PyList>,
    principal_type: Bound<'py, PyList>,
    tenant: Bound<'py, PyList>,
    audience: Bound<'py, PyList>,
    expires_at: Bound<'py, PyList>,
    message: Bound<'py, PyList>,
    report: Option<Bound<'py, PyList>>,
}

impl<'py> Columns<'py> {
    fn new(py: Python<'py>, reports: bool) -> Columns<'py> {
        Columns {
            valid: PyList::empty(py),
            complete: PyList::empty(py),
            failed: PyList::empty(py),
            principal: PyList::empty(py),
            principal_type: PyList::empty(py),
            tenant: PyList::empty(py),
            audience: PyList::empty(py),
            expires_at: PyList::empty(py),
            message: PyList::empty(py),
            report: reports.then(|| PyList::empty(py)),
        }
    }

    fn push(&self, r: Row) -> PyResult<()> {
        self.valid.append(r.brief.valid)?;
        self.complete.append(r.brief.complete)?;
        self.failed.append(r.brief.failed)?;
        self.principal.append(r.principal)?;
        self.principal_type.append(r.principal_type)?;
        self.tenant.append(r.tenant)?;
        self.audience.append(r.audience)?;
        self.expires_at.append(r.expires_at)?;
        self.message.append(r.message)?;
        if let Some(report) = &self.report {
            report.append(r.report)?;
        }
        Ok(())
    }

    fn into_dict(self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("valid", self.valid)?;
        d.set_item("complete", self.complete)?;
        d.set_item("failed", self.failed)?;
        d.set_item("principal", self.principal)?;
        d.set_item("principal_type", self.principal_type)?;
        d.set_item("tenant", self.tenant)?;
        d.set_item("audience", self.audience)?;
        d.set_item("expires_at", self.expires_at)?;
        d.set_item("message", self.message)?;
        if let Some(report) = self.report {
            d.set_item("report", report)?;
        }
        Ok(d)
    }
}

// ---------------------------------------------------------------- decode

/// A decoded token: header and claims, each explained, and a summary.
#[pyclass(frozen, module = "entra_doctor")]
struct Decoded {
    json: serde_json::Value,
}

impl Decoded {
    fn field(&self, py: Python<'_>, name: &str) -> PyResult<PyObject> {
        to_py(py, self.json.get(name).unwrap_or(&serde_json::Value::Null))
    }
}

#[pymethods]
impl Decoded {
    /// The header, as in the token.
    #[getter]
    fn header(&self, py: Python<'_>) -> PyResult<PyObject> {
        self.field(py, "header")
    }
    /// The claims (payload), as in the token.
    #[getter]
    fn claims(&self, py: Python<'_>) -> PyResult<PyObject> {
        self.field(py, "payload")
    }
    #[getter]
    fn summary(&self, py: Python<'_>) -> PyResult<PyObject> {
        self.field(py, "summary")
    }
    /// Each claim explained: dicts with name, value, meaning, and utc and
    /// relative for times, in token order.
    #[getter]
    fn entries(&self, py: Python<'_>) -> PyResult<PyObject> {
        self.field(py, "claims")
    }
    /// Each header member explained, in token order.
    #[getter]
    fn header_entries(&self, py: Python<'_>) -> PyResult<PyObject> {
        self.field(py, "header_entries")
    }
    /// claim name -> what it means (None when unknown).
    #[getter]
    fn meanings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        if let Some(list) = self.json.get("claims").and_then(|c| c.as_array()) {
            for e in list {
                if let Some(name) = e.get("name").and_then(|n| n.as_str()) {
                    d.set_item(name, e.get("meaning").and_then(|m| m.as_str()))?;
                }
            }
        }
        Ok(d)
    }
    /// The object `entra-doctor decode --json` prints.
    fn to_dict(&self, py: Python<'_>) -> PyResult<PyObject> {
        to_py(py, &self.json)
    }
    fn __repr__(&self) -> String {
        let s = &self.json["summary"];
        format!(
            "<Decoded {} {} token, {}>",
            s["version"].as_str().unwrap_or("?"),
            s["kind"].as_str().unwrap_or("?"),
            s["principal_type"].as_str().unwrap_or("?")
        )
    }
}

/// decode(token, *, at=None) -> Decoded; raises TokenError on a text that is
/// not a token.
#[pyfunction]
#[pyo3(signature = (token, *, at=None))]
fn decode(token: &str, at: Option<&Bound<'_, PyAny>>) -> PyResult<Decoded> {
    let now = match at {
        Some(a) => instant_of(a)?,
        None => now(),
    };
    if token.len() > MAX_TOKEN_INPUT {
        let e = entra_token::FormatError::TooLong {
            len: token.len(),
            max: MAX_TOKEN_INPUT,
        };
        return Err(TokenError::new_err(e.to_string()));
    }
    let parsed = input::extract(token).and_then(|(t, _)| Token::parse(t));
    match parsed {
        Ok(t) => Ok(Decoded {
            json: json_of(&EngineDecoded::of(&t, now))?,
        }),
        Err(e) => Err(TokenError::new_err(e.to_string())),
    }
}

// ---------------------------------------------------------------- explain

/// An error explained: cause and fix.
#[pyclass(frozen, module = "entra_doctor")]
struct Explanation {
    json: serde_json::Value,
}

#[pymethods]
impl Explanation {
    /// One line: what went wrong.
    #[getter]
    fn headline(&self) -> String {
        self.json["explanation"]["headline"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
    /// The AADSTS (or other) codes recognised.
    #[getter]
    fn codes(&self) -> Vec<u64> {
        self.json["explanation"]["codes"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c.as_u64()).collect())
            .unwrap_or_default()
    }
    /// What was recognised: aadsts, token_endpoint_json, ...
    #[getter]
    fn kind(&self) -> Option<String> {
        self.json["explanation"]["kind"].as_str().map(str::to_owned)
    }
    /// Cause and fix entries (dicts), most relevant first.
    #[getter]
    fn advice(&self, py: Python<'_>) -> PyResult<PyObject> {
        to_py(py, &self.json["explanation"]["advice"])
    }
    /// The object `entra-doctor explain --json` prints.
    fn to_dict(&self, py: Python<'_>) -> PyResult<PyObject> {
        to_py(py, &self.json)
    }
    fn __repr__(&self) -> String {
        format!("<Explanation {}>", self.headline())
    }
}

/// explain(text, *, flow=None, tenant=None, client_id=None,
/// redirect_uri=None, resource=None, registered=None) -> Explanation
#[pyfunction]
#[pyo3(signature = (text, *, flow=None, tenant=None, client_id=None, redirect_uri=None, resource=None, registered=None))]
fn explain(
    text: &str,
    flow: Option<String>,
    tenant: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    resource: Option<String>,
    registered: Option<Vec<String>>,
) -> PyResult<Explanation> {
    if text.len() > engine_explain::MAX_INPUT_BYTES {
        return Err(ExplainError::new_err(format!(
            "the input is {} bytes, over the limit of {}",
            text.len(),
            engine_explain::MAX_INPUT_BYTES
        )));
    }
    let ctx = engine_explain::Context {
        flow,
        tenant,
        client_id,
        redirect_uri,
        resource,
        registered_redirect_uris: registered.unwrap_or_default(),
        ..engine_explain::Context::default()
    };
    let report = engine_explain::parse(text)
        .map_err(|e| ExplainError::new_err(format!("cannot explain this input: {e}")))?;
    let explanation = engine_explain::explain(&report, &ctx);
    let json = entra_doctor::explain_json(&report, &explanation)
        .map_err(|e| Error::new_err(e.to_string()))?;
    Ok(Explanation { json })
}

// ---------------------------------------------------------------- bench

/// The engine's own time for one token, in seconds per check: `n` checks
/// in a Rust loop (the same work as `check` with a KeySet, without a
/// Python call per check). For bench/python.py.
#[pyfunction]
#[pyo3(signature = (token, *, jwks, tenant=None, n=10_000))]
fn _engine_seconds_per_check(
    py: Python<'_>,
    token: &str,
    jwks: &Bound<'_, PyAny>,
    tenant: Option<&str>,
    n: u32,
) -> PyResult<f64> {
    let keys = keyset_of(jwks)?.ok_or_else(|| PyTypeError::new_err("jwks is None"))?;
    let policy = policy_of(None, tenant, None, None, 300, now())?;
    let n = n.max(1);
    Ok(py.allow_threads(|| {
        let start = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(check_one(
                std::hint::black_box(token),
                Some(&keys.inner),
                &policy,
            ));
        }
        start.elapsed().as_secs_f64() / f64::from(n)
    }))
}

/// The batch machinery alone, for the package's tests: each token's length,
/// read, checked and returned as `check_batch` does (same reader, threads,
/// order and bounds), with a check that takes `spin_us` microseconds and
/// panics on the token `panic_on` (a stand-in for an engine bug).
#[pyfunction]
#[pyo3(signature = (tokens, *, threads=2, spin_us=0, panic_on=None))]
fn _batch_lengths<'py>(
    py: Python<'py>,
    tokens: &Bound<'py, PyAny>,
    threads: usize,
    spin_us: u64,
    panic_on: Option<String>,
) -> PyResult<Vec<usize>> {
    let policy = policy_of(None, None, None, None, 300, now())?;
    let reader = batch::Reader::new(tokens, None, policy.now, MAX_BATCH, false, instant_of)?;
    let spin = std::time::Duration::from_micros(spin_us.min(1_000_000));
    let mut lengths = Vec::new();
    batch::run(
        py,
        reader,
        &policy,
        threads,
        |text, _| {
            let start = std::time::Instant::now();
            while start.elapsed() < spin {
                std::hint::spin_loop();
            }
            if panic_on.as_deref() == Some(text) {
                panic!("asked to panic on {text:?}");
            }
            text.len()
        },
        |block| {
            lengths.extend(block.results);
            Ok(())
        },
    )?;
    Ok(lengths)
}

// ---------------------------------------------------------------- CLI

/// Runs the entra-doctor CLI with `argv` (argv[0] is the program name) and
/// returns its exit status. The wheel's `entra-doctor` command.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.allow_threads(|| entra_doctor::main_with_args(argv))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("TokenError", py.get_type::<TokenError>())?;
    m.add("KeySetError", py.get_type::<KeySetError>())?;
    m.add("ExplainError", py.get_type::<ExplainError>())?;
    m.add_class::<KeySet>()?;
    m.add_class::<Finding>()?;
    m.add_class::<Report>()?;
    m.add_class::<TokenCache>()?;
    m.add_class::<Decoded>()?;
    m.add_class::<Explanation>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(check_batch, m)?)?;
    m.add_function(wrap_pyfunction!(check_columns, m)?)?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(_engine_seconds_per_check, m)?)?;
    m.add_function(wrap_pyfunction!(_batch_lengths, m)?)?;
    Ok(())
}

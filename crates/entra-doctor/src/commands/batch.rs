//! `check --batch`: a stream of tokens, checked on all cores, results in
//! input order, memory bounded whatever the input's length.
//!
//! Shape: one reader thread cuts the input into blocks of whole lines;
//! worker threads split, parse and check them; the calling thread writes
//! results in order. Every
//! queue is bounded, so at most a few chunks are in memory at once. A
//! token seen again has its signature outcome taken from a bounded cache
//! keyed by the SHA-256 of the whole token; the time rules run every time.
//!
//! Keys come from `--jwks`, else from discovery through the same cache as
//! `check` (once per issuer, shared by the workers). A line is valid only
//! when its signature verified and no rule failed; the summary counts the
//! lines whose signature was not verified apart, and never as valid.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crossbeam_channel::bounded;
use entra_token::findings::{verdict_of_unpassed, Status, Verdict};
use entra_token::rules::Detail;
use entra_token::{rules, Finding, KeySet, Policy, Token};
use serde::Serialize;

use crate::cli::CheckArgs;
use crate::commands::check::online_options;
use crate::commands::{keys, now_or, policy, MAX_TOKEN_INPUT};
use crate::error::{CliError, Outcome};
use crate::net::databrickscfg::ProcessEnv;
use crate::net::progress::Progress;
use crate::net::Plan;
use crate::pipeline::{self, KeysFor, Remembered};
use crate::serve::keysource::{issuer_of, KeyFetchError, KeySource};
use crate::verified_cache::{Bounds, VerifiedCache};

/// Tokens remembered: a few dozen bytes each when they pass; the byte
/// bound (failing tokens keep their messages) is the cache's.
const CACHE_ENTRIES: usize = 1 << 17;
/// Batch looks its keys up once per issuer and never swaps them: one
/// generation.
const GENERATION: u64 = 0;

/// One line's result, as written.
#[derive(Serialize)]
struct LineResult<'a> {
    line: u64,
    valid: bool,
    failed: Vec<&'static str>,
    /// Only the findings that did not pass (all pass when empty).
    findings: Vec<&'a Finding>,
}

/// Counts for the summary on standard error.
#[derive(Default)]
struct Tally {
    total: u64,
    valid: u64,
    /// No finding failed but the signature was not verified: not valid.
    unverified: u64,
    failed_by_check: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.total += other.total;
        self.valid += other.valid;
        self.unverified += other.unverified;
        for (k, v) in other.failed_by_check {
            *self.failed_by_check.entry(k).or_default() += v;
        }
    }
}

/// A piece of the input handed to a worker: whole lines starting at line
/// `first_line`, or a note that one line was too long to keep.
enum Chunk {
    Lines { first_line: u64, data: Vec<u8> },
    TooLong { line: u64, len: usize },
}

/// Batch checks never send a token anywhere: the workspace flags (which
/// would send every token to the workspace) are refused rather than
/// ignored.
fn refuse_workspace_flags(args: &CheckArgs) -> Result<(), CliError> {
    let o = &args.online;
    let given = [
        ("--workspace", o.workspace.is_some()),
        ("--profile", o.profile.is_some()),
        ("--allow-any-workspace-host", o.allow_any_workspace_host),
    ];
    if let Some((flag, _)) = given.iter().find(|(_, on)| *on) {
        return Err(CliError::Usage(format!(
            "--batch does not take {flag}: it checks the tokens' keys (by discovery, or --jwks FILE) \
             but sends no token to a workspace; give the workspace's tenant with --tenant, \
             or check one token at a time with 'check TOKEN {flag} ...'"
        )));
    }
    Ok(())
}

/// Keys by discovery for a batch: the same discovery and cache as one
/// `check` (and `serve`'s per-issuer map in front of it, bounded), fetched
/// once per issuer and shared by every worker.
struct OnlineKeys {
    rt: tokio::runtime::Runtime,
    source: KeySource,
    /// `--tenant`: keys are looked up only for tokens of this tenant.
    tenant: Option<String>,
    /// The issuers looked up so far, at most [`MAX_BATCH_ISSUERS`].
    issuers: Mutex<std::collections::HashSet<String>>,
}

/// Distinct issuers whose keys one batch looks up: a file of tokens from
/// ever new tenants does not become as many discovery requests.
const MAX_BATCH_ISSUERS: usize = 64;

impl OnlineKeys {
    fn new(args: &CheckArgs) -> Result<OnlineKeys, CliError> {
        let options = online_options(
            &args.online,
            args.policy.tenant.clone(),
            args.policy.issuer.clone(),
            false,
        );
        let mut plan = Plan::resolve(&options, &ProcessEnv).map_err(CliError::Usage)?;
        // DATABRICKS_HOST from the environment: tokens are not sent there.
        plan.workspace = None;
        let online = plan.online(Progress::none()).map_err(CliError::Usage)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| CliError::Usage(format!("cannot start the network runtime: {e}")))?;
        Ok(OnlineKeys {
            rt,
            source: KeySource::discovery(Arc::new(online), plan),
            // With --issuer every token is looked up (by that issuer).
            tenant: args
                .policy
                .tenant
                .as_deref()
                .filter(|_| args.policy.issuer.is_none())
                .map(|t| t.trim().to_owned()),
            issuers: Mutex::new(Default::default()),
        })
    }

    /// The keys for `token`, or why there are none.
    fn keys_for(&self, token: &Token) -> Result<Arc<KeySet>, String> {
        let iss = issuer_of(token).unwrap_or_default().to_owned();
        // Tokens of another tenant than --tenant's are not looked up (the
        // source says so below), so they do not count.
        let counted = self.tenant.as_deref().is_none_or(|t| {
            entra_token::issuer::parse(&iss).is_some_and(|p| p.tenant.eq_ignore_ascii_case(t))
        });
        if let (true, Ok(mut seen)) = (counted, self.issuers.lock()) {
            if !seen.contains(&iss) {
                if seen.len() >= MAX_BATCH_ISSUERS {
                    return Err(format!(
                        "this batch already looked up the keys of {MAX_BATCH_ISSUERS} issuers, the most one batch does; give the keys with --jwks FILE"
                    ));
                }
                seen.insert(iss);
            }
        }
        let got = self.rt.block_on(async {
            let keys = self.source.keys_for(token, self.tenant.as_deref()).await?;
            let Some(keys) = keys else {
                return Ok(None);
            };
            // A kid the set lacks: the source refetches (throttled), once.
            let kid = token.header().kid().or_else(|| token.header().x5t());
            let missing = kid.is_some_and(|k| {
                !keys.set.has_kid(k) && !keys.set.keys().iter().any(|x| x.x5t.as_deref() == Some(k))
            });
            if missing {
                if let Some(newer) = self.source.refresh(token, keys.generation).await? {
                    return Ok(Some(newer));
                }
            }
            Ok(Some(keys))
        });
        match got {
            Ok(Some(k)) => Ok(k.set),
            Ok(None) => Err(
                "the signing keys were not looked up: the token is not of the tenant given with --tenant"
                    .into(),
            ),
            Err(KeyFetchError::Refused(why)) | Err(KeyFetchError::Unavailable(why)) => Err(why),
        }
    }
}

pub fn run(args: CheckArgs) -> Result<Outcome, CliError> {
    refuse_workspace_flags(&args)?;
    let mut policy = policy(&args.policy)?;
    policy.skip_signature = args.skip_signature;
    let policy = Arc::new(policy);
    let keys = keys(&args.policy)?.map(Arc::new);
    let online = if keys.is_none() && !args.skip_signature {
        Some(Arc::new(OnlineKeys::new(&args)?))
    } else {
        None
    };
    let source = args.batch.clone().unwrap_or_else(|| "-".into());
    let reader: Box<dyn Read + Send> = if source == "-" {
        Box::new(io::stdin())
    } else {
        let path = PathBuf::from(&source);
        Box::new(std::fs::File::open(&path).map_err(|e| CliError::Read { path, source: e })?)
    };
    let threads = args
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .clamp(1, 256);

    let (chunk_tx, chunk_rx) = bounded::<(u64, Chunk)>(threads * 2);
    // Blocks go back to the reader once checked: no fresh pages per block.
    let (pool_tx, pool_rx) = bounded::<Vec<u8>>(threads * 4);
    let (out_tx, out_rx) = bounded::<(u64, Vec<u8>, Tally)>(threads * 2);
    let cache = Arc::new(VerifiedCache::new(Bounds::entries(CACHE_ENTRIES)));

    let reader_thread = std::thread::spawn(move || read_chunks(reader, chunk_tx, pool_rx));
    let mut workers = Vec::with_capacity(threads);
    for _ in 0..threads {
        let rx = chunk_rx.clone();
        let tx = out_tx.clone();
        let (policy, keys, cache) = (policy.clone(), keys.clone(), cache.clone());
        let online = online.clone();
        let pool_tx = pool_tx.clone();
        let fixed_time = args.policy.at.is_some();
        workers.push(std::thread::spawn(move || {
            let mut policy = (*policy).clone();
            for (seq, chunk) in rx {
                // A stream may run for hours: "now" moves on unless --at
                // fixed it, and the time rules see it move.
                if !fixed_time {
                    if let Ok(now) = now_or(None) {
                        policy.now = now;
                    }
                }
                let k = Keys {
                    fixed: keys.as_ref(),
                    online: online.as_deref(),
                };
                let (buf, tally) = check_chunk(&chunk, &k, &policy, &cache);
                if let Chunk::Lines { data, .. } = chunk {
                    let _ = pool_tx.try_send(data);
                }
                if tx.send((seq, buf, tally)).is_err() {
                    break;
                }
            }
        }));
    }
    drop(out_tx);
    drop(chunk_rx);

    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut pending: BTreeMap<u64, (Vec<u8>, Tally)> = BTreeMap::new();
    let mut next = 0u64;
    let mut tally = Tally::default();
    let mut write_err = None;
    for (seq, buf, t) in out_rx {
        pending.insert(seq, (buf, t));
        while let Some((buf, t)) = pending.remove(&next) {
            if write_err.is_none() {
                if let Err(e) = out.write_all(&buf) {
                    write_err = Some(e);
                }
            }
            tally.merge(t);
            next += 1;
        }
    }
    if let Err(e) = out.flush() {
        write_err.get_or_insert(e);
    }
    for w in workers {
        let _ = w.join();
    }
    let read_result = reader_thread
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the reader thread stopped")));
    if let Some(e) = write_err {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(CliError::Write(e));
        }
    }
    read_result.map_err(|e| CliError::Read {
        path: PathBuf::from(&source),
        source: e,
    })?;

    let mut err = anstream::stderr();
    let not_valid = tally.total - tally.valid;
    let failed_total = not_valid - tally.unverified;
    let _ = writeln!(
        err,
        "{} token(s): {} valid, {} not valid",
        tally.total, tally.valid, not_valid
    );
    if tally.unverified > 0 {
        let how = if args.skip_signature {
            "--skip-signature: the claims alone were checked"
        } else {
            "no keys: see each line's signature finding"
        };
        let _ = writeln!(
            err,
            "  {} with no failed check but the signature not verified ({how})",
            tally.unverified
        );
    }
    for (check, n) in &tally.failed_by_check {
        let _ = writeln!(err, "  {check:<10} failed {n}");
    }
    Ok(if failed_total > 0 {
        Outcome::Failed
    } else if tally.unverified > 0 {
        Outcome::Incomplete
    } else {
        Outcome::Ok
    })
}

/// `fill_buf`, retried when interrupted.
fn fill<R: Read>(r: &mut BufReader<R>) -> io::Result<&[u8]> {
    loop {
        match r.fill_buf() {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    // Filled (or at the end): this call only returns the buffer.
    r.fill_buf()
}

/// Bytes per block read; a block is cut after its last newline.
const BLOCK_BYTES: usize = 256 * 1024;

/// Reads the input in blocks of whole lines and hands them to the workers,
/// which split and decode the lines themselves: the reader only moves
/// bytes. A line longer than the bound is skipped to its end and reported.
fn read_chunks(
    reader: Box<dyn Read + Send>,
    tx: crossbeam_channel::Sender<(u64, Chunk)>,
    pool: crossbeam_channel::Receiver<Vec<u8>>,
) -> io::Result<()> {
    let mut r = BufReader::with_capacity(BLOCK_BYTES, reader);
    let mut seq = 0u64;
    let mut next_line = 1u64;
    let mut pending: Vec<u8> = Vec::with_capacity(BLOCK_BYTES * 2);
    let send = |chunk: Chunk, seq: &mut u64| -> bool {
        let ok = tx.send((*seq, chunk)).is_ok();
        *seq += 1;
        ok
    };
    loop {
        let available = fill(&mut r)?;
        if available.is_empty() {
            break;
        }
        let n = available.len();
        pending.extend_from_slice(available);
        r.consume(n);
        match memchr::memrchr(b'\n', &pending) {
            Some(last) => {
                // The tail (a partial line) moves to a recycled buffer.
                let mut next = pool
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BLOCK_BYTES * 2));
                next.clear();
                next.extend_from_slice(&pending[last + 1..]);
                pending.truncate(last + 1);
                let data = std::mem::replace(&mut pending, next);
                let lines = memchr::memchr_iter(b'\n', &data).count() as u64;
                // A line in the block may be too long; the worker reports it.
                if !send(
                    Chunk::Lines {
                        first_line: next_line,
                        data,
                    },
                    &mut seq,
                ) {
                    return Ok(());
                }
                next_line += lines;
            }
            None if pending.len() > MAX_TOKEN_INPUT => {
                // One line over the bound: drop it to its newline.
                let mut len = pending.len();
                pending.clear();
                loop {
                    let available = fill(&mut r)?;
                    if available.is_empty() {
                        break;
                    }
                    if let Some(i) = memchr::memchr(b'\n', available) {
                        len += i;
                        r.consume(i + 1);
                        break;
                    }
                    let n = available.len();
                    len += n;
                    r.consume(n);
                }
                if !send(
                    Chunk::TooLong {
                        line: next_line,
                        len,
                    },
                    &mut seq,
                ) {
                    return Ok(());
                }
                next_line += 1;
            }
            None => {}
        }
    }
    if !pending.is_empty() {
        let _ = send(
            Chunk::Lines {
                first_line: next_line,
                data: pending,
            },
            &mut seq,
        );
    }
    Ok(())
}

/// Where a worker's keys come from: the `--jwks` set, or discovery.
struct Keys<'a> {
    fixed: Option<&'a Arc<KeySet>>,
    online: Option<&'a OnlineKeys>,
}

fn check_chunk(
    chunk: &Chunk,
    keys: &Keys<'_>,
    policy: &Policy,
    cache: &VerifiedCache<Remembered>,
) -> (Vec<u8>, Tally) {
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut tally = Tally::default();
    match chunk {
        Chunk::TooLong { line, len } => {
            let e = entra_token::FormatError::TooLong {
                len: *len,
                max: MAX_TOKEN_INPUT,
            };
            write_report(&mut buf, &mut tally, *line, &rules::malformed_report(&e));
        }
        Chunk::Lines { first_line, data } => {
            let data = data.strip_suffix(b"\n").unwrap_or(data);
            let mut start = 0;
            let ends = memchr::memchr_iter(b'\n', data).chain(std::iter::once(data.len()));
            for (i, end) in ends.enumerate() {
                let raw = &data[start..end];
                start = end + 1;
                let line = first_line + i as u64;
                let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                if raw.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if raw.len() > MAX_TOKEN_INPUT {
                    let e = entra_token::FormatError::TooLong {
                        len: raw.len(),
                        max: MAX_TOKEN_INPUT,
                    };
                    write_report(&mut buf, &mut tally, line, &rules::malformed_report(&e));
                    continue;
                }
                let text = match std::str::from_utf8(raw) {
                    Ok(t) => std::borrow::Cow::Borrowed(t),
                    Err(_) => String::from_utf8_lossy(raw),
                };
                check_line(&mut buf, &mut tally, line, &text, keys, policy, cache);
            }
        }
    }
    (buf, tally)
}

fn check_line(
    buf: &mut Vec<u8>,
    tally: &mut Tally,
    line: u64,
    text: &str,
    keys: &Keys<'_>,
    policy: &Policy,
    cache: &VerifiedCache<Remembered>,
) {
    let keys_for = |token: &Token| match (keys.fixed, keys.online) {
        (Some(k), _) => Ok(Some(KeysFor::Held(k))),
        (None, Some(online)) => online.keys_for(token).map(|k| Some(KeysFor::Shared(k))),
        (None, None) => Ok(None),
    };
    let checked = pipeline::check_cached(text, policy, cache, GENERATION, Detail::Brief, keys_for);
    write_findings(buf, tally, line, checked.findings());
}

fn write_report(buf: &mut Vec<u8>, tally: &mut Tally, line: u64, report: &entra_token::Report) {
    write_findings(buf, tally, line, report.findings.iter());
}

/// Writes one line's result: the findings that did not pass, and counts.
fn write_findings<'a>(
    buf: &mut Vec<u8>,
    tally: &mut Tally,
    line: u64,
    findings: impl Iterator<Item = &'a Finding>,
) {
    let findings: Vec<&Finding> = findings.filter(|f| f.status != Status::Pass).collect();
    if findings.is_empty() {
        // The common line, written directly: the same JSON serde would write.
        tally.total += 1;
        tally.valid += 1;
        let _ = writeln!(
            buf,
            "{{\"line\":{line},\"valid\":true,\"failed\":[],\"findings\":[]}}"
        );
        return;
    }
    let failed: Vec<&'static str> = findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| f.check.as_str())
        .collect();
    // Valid only when the signature verified (it is not among the findings
    // that did not pass) and nothing failed.
    let verdict = verdict_of_unpassed(findings.iter().copied());
    tally.total += 1;
    match verdict {
        Verdict::Valid => tally.valid += 1,
        Verdict::Incomplete => tally.unverified += 1,
        Verdict::Invalid => {}
    }
    for f in &failed {
        *tally.failed_by_check.entry(f).or_default() += 1;
    }
    let result = LineResult {
        line,
        valid: verdict == Verdict::Valid,
        failed,
        findings,
    };
    // Serialising plain structs into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, &result);
    buf.push(b'\n');
}

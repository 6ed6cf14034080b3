//! `check --batch`: a stream of tokens, checked on all cores, results in
//! input order, memory bounded whatever the input's length.
//!
//! Shape: one reader thread cuts the input into chunks of lines; worker
//! threads check chunks; the calling thread writes results in order. Every
//! queue is bounded, so at most a few chunks are in memory at once. A
//! token seen again has its signature outcome taken from a bounded cache
//! keyed by the SHA-256 of the whole token; the time rules run every time.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use crossbeam_channel::bounded;
use entra_token::findings::Status;
use entra_token::verify::SignatureOutcome;
use entra_token::rules::{check_token_with, Detail};
use entra_token::verify::{prehash, verify_token_prehashed};
use entra_token::{input, rules, Finding, KeySet, Policy, Token};
use serde::Serialize;

use crate::cli::CheckArgs;
use crate::commands::{keys, policy, MAX_TOKEN_INPUT};
use crate::error::{CliError, Outcome};

/// Lines per chunk handed to a worker.
const CHUNK_LINES: usize = 512;
/// Signature outcomes remembered (16 shards).
const CACHE_ENTRIES: usize = 1 << 18;
const SHARDS: usize = 16;

/// One line's result, as written.
#[derive(Serialize)]
struct LineResult<'a> {
    line: u64,
    valid: bool,
    failed: Vec<&'static str>,
    /// Only the findings that did not pass (all pass when empty).
    findings: Vec<&'a Finding>,
}

/// Signature outcomes by token digest, bounded: a full shard is emptied.
struct SigCache {
    shards: Vec<Mutex<HashMap<[u8; 32], Arc<SignatureOutcome>>>>,
    per_shard: usize,
}

impl SigCache {
    fn new(total: usize) -> SigCache {
        SigCache { shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(), per_shard: total / SHARDS }
    }

    fn get_or_verify(&self, token: &Token, keys: &KeySet, policy: &Policy) -> Arc<SignatureOutcome> {
        // Hash the signing input once: the digest keys the cache (with the
        // signature, so the key covers the whole token) and is what the
        // signature verification needs anyway.
        let hashed = prehash(token);
        let d = match &hashed {
            Some(h) => {
                let mut ctx = digest::Context::new(&digest::SHA256);
                ctx.update(h.as_ref());
                ctx.update(token.signature());
                ctx.finish()
            }
            None => digest::digest(&digest::SHA256, token.compact().as_bytes()),
        };
        let mut key = [0u8; 32];
        key.copy_from_slice(d.as_ref());
        let shard = &self.shards[key[0] as usize % SHARDS];
        if let Some(hit) = shard.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return hit;
        }
        let outcome = Arc::new(verify_token_prehashed(token, keys, &policy.algorithms, hashed.as_ref()));
        if let Ok(mut m) = shard.lock() {
            if m.len() >= self.per_shard {
                m.clear();
            }
            m.insert(key, outcome.clone());
        }
        outcome
    }
}

/// Counts for the summary on standard error.
#[derive(Default)]
struct Tally {
    total: u64,
    valid: u64,
    failed_by_check: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.total += other.total;
        self.valid += other.valid;
        for (k, v) in other.failed_by_check {
            *self.failed_by_check.entry(k).or_default() += v;
        }
    }
}

/// A line as read: its number and text, or a note that it was too long.
enum Line {
    Text(u64, String),
    TooLong(u64, usize),
}

pub fn run(args: CheckArgs) -> Result<Outcome, CliError> {
    let policy = Arc::new(policy(&args.policy)?);
    let keys = keys(&args.policy)?.map(Arc::new);
    let source = args.batch.clone().unwrap_or_else(|| "-".into());
    let reader: Box<dyn Read + Send> = if source == "-" {
        Box::new(io::stdin())
    } else {
        let path = PathBuf::from(&source);
        Box::new(std::fs::File::open(&path).map_err(|e| CliError::Read { path, source: e })?)
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
        .clamp(1, 256);

    let (chunk_tx, chunk_rx) = bounded::<(u64, Vec<Line>)>(threads * 2);
    let (out_tx, out_rx) = bounded::<(u64, Vec<u8>, Tally)>(threads * 2);
    let cache = Arc::new(SigCache::new(CACHE_ENTRIES));

    let reader_thread = std::thread::spawn(move || read_chunks(reader, chunk_tx));
    let mut workers = Vec::with_capacity(threads);
    for _ in 0..threads {
        let rx = chunk_rx.clone();
        let tx = out_tx.clone();
        let (policy, keys, cache) = (policy.clone(), keys.clone(), cache.clone());
        workers.push(std::thread::spawn(move || {
            for (seq, lines) in rx {
                let (buf, tally) = check_chunk(&lines, keys.as_deref(), &policy, &cache);
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
    let read_result = reader_thread.join().unwrap_or_else(|_| Err(io::Error::other("the reader thread stopped")));
    if let Some(e) = write_err {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(CliError::Write(e));
        }
    }
    read_result.map_err(|e| CliError::Read { path: PathBuf::from(&source), source: e })?;

    let mut err = anstream::stderr();
    let failed_total = tally.total - tally.valid;
    let _ = writeln!(err, "{} token(s): {} valid, {} not valid", tally.total, tally.valid, failed_total);
    for (check, n) in &tally.failed_by_check {
        let _ = writeln!(err, "  {check:<10} failed {n}");
    }
    Ok(if failed_total == 0 { Outcome::Ok } else { Outcome::Failed })
}

fn read_chunks(reader: Box<dyn Read + Send>, tx: crossbeam_channel::Sender<(u64, Vec<Line>)>) -> io::Result<()> {
    let mut r = BufReader::with_capacity(1 << 18, reader);
    let mut seq = 0u64;
    let mut line_no = 0u64;
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.clear();
        let state = read_line_bounded(&mut r, &mut buf, MAX_TOKEN_INPUT)?;
        match state {
            LineState::Eof => break,
            LineState::Line => {
                line_no += 1;
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let text = match std::str::from_utf8(&buf) {
                    Ok(t) => t.to_owned(),
                    Err(_) => String::from_utf8_lossy(&buf).into_owned(),
                };
                chunk.push(Line::Text(line_no, text));
            }
            LineState::TooLong(len) => {
                line_no += 1;
                chunk.push(Line::TooLong(line_no, len));
            }
        }
        if chunk.len() == CHUNK_LINES {
            if tx.send((seq, std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_LINES)))).is_err() {
                return Ok(());
            }
            seq += 1;
        }
    }
    if !chunk.is_empty() {
        let _ = tx.send((seq, chunk));
    }
    Ok(())
}

enum LineState {
    Eof,
    Line,
    TooLong(usize),
}

/// Reads one line (without its newline) into `buf`, keeping at most `max`
/// bytes; a longer line is consumed to its end and reported with its length.
fn read_line_bounded(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<LineState> {
    let mut total = 0usize;
    let mut any = false;
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if !any {
                LineState::Eof
            } else if total > max {
                LineState::TooLong(total)
            } else {
                LineState::Line
            });
        }
        any = true;
        let (part, found) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        total += part.len();
        if total <= max {
            buf.extend_from_slice(part);
        }
        let used = found.unwrap_or(available.len());
        r.consume(used);
        if found.is_some() {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(if total > max { LineState::TooLong(total) } else { LineState::Line });
        }
    }
}

fn check_chunk(lines: &[Line], keys: Option<&KeySet>, policy: &Policy, cache: &SigCache) -> (Vec<u8>, Tally) {
    let mut buf = Vec::with_capacity(lines.len() * 48);
    let mut tally = Tally::default();
    for line in lines {
        let (line_no, report) = match line {
            Line::Text(n, text) => {
                let parsed = input::extract(text).and_then(|(t, _)| Token::parse(t));
                let report = match parsed {
                    Ok(token) => {
                        let sig = match keys {
                            Some(k) => cache.get_or_verify(&token, k, policy),
                            None => Arc::new(SignatureOutcome::NoKeys),
                        };
                        check_token_with(&token, &sig, policy, Detail::Brief)
                    }
                    Err(e) => rules::malformed_report(&e),
                };
                (*n, report)
            }
            Line::TooLong(n, len) => {
                let e = entra_token::FormatError::TooLong { len: *len, max: MAX_TOKEN_INPUT };
                (*n, rules::malformed_report(&e))
            }
        };
        let failed: Vec<&'static str> = report.failed().collect();
        tally.total += 1;
        if failed.is_empty() {
            tally.valid += 1;
        }
        for f in &failed {
            *tally.failed_by_check.entry(f).or_default() += 1;
        }
        let result = LineResult {
            line: line_no,
            valid: failed.is_empty(),
            failed,
            findings: report.findings.iter().filter(|f| f.status != Status::Pass).collect(),
        };
        // Serialising plain structs into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut buf, &result);
        buf.push(b'\n');
    }
    (buf, tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines_keep_short_and_skip_long() {
        let data = b"abc\r\n0123456789\nxy";
        let mut r = BufReader::with_capacity(4, &data[..]);
        let mut buf = Vec::new();
        assert!(matches!(read_line_bounded(&mut r, &mut buf, 5).unwrap(), LineState::Line));
        assert_eq!(buf, b"abc");
        buf.clear();
        assert!(matches!(read_line_bounded(&mut r, &mut buf, 5).unwrap(), LineState::TooLong(10)));
        buf.clear();
        assert!(matches!(read_line_bounded(&mut r, &mut buf, 5).unwrap(), LineState::Line));
        assert_eq!(buf, b"xy");
        buf.clear();
        assert!(matches!(read_line_bounded(&mut r, &mut buf, 5).unwrap(), LineState::Eof));
    }
}

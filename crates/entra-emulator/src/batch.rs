//! Bulk minting for benchmarks: many distinct valid tokens signed by one key, and the
//! key set that verifies them.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::config::{DEMO_TENANT_DOMAIN, DEMO_TENANT_ID};
use crate::keys::{SigningKey, ENTRA_CERT_CN};
use crate::mint::{build_claims, build_header, encode_signed, MintRequest, Resolved};
use crate::state::keys_doc_json;
use crate::util::now_secs;
use crate::{Error, DATABRICKS_RESOURCE_ID};

/// What [`mint_batch`] produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchOptions {
    /// Number of distinct tokens (each a v1.0 user token with its own `upn` and `uti`).
    pub count: usize,
    /// How many times the whole sequence of tokens is written (round-robin, so that
    /// repeats of one token are spread over the file).
    pub repeat: usize,
    /// Tenant id (`tid`, and the issuer `https://sts.windows.net/<tid>/`).
    pub tenant_id: String,
    /// Domain of the users' UPNs (`user0000001@<domain>`).
    pub domain: String,
    /// `aud` (default the Azure Databricks resource id).
    pub audience: String,
    /// Prefix of the v1.0 issuer (default `https://sts.windows.net`).
    pub issuer_prefix: String,
    /// Token lifetime in seconds from now (default 4500, i.e. 75 minutes).
    pub lifetime_secs: i64,
    /// Signing threads (0 = one per available core).
    pub threads: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            count: 1000,
            repeat: 1,
            tenant_id: DEMO_TENANT_ID.into(),
            domain: DEMO_TENANT_DOMAIN.into(),
            audience: DATABRICKS_RESOURCE_ID.into(),
            issuer_prefix: "https://sts.windows.net".into(),
            lifetime_secs: 4500,
            threads: 0,
        }
    }
}

/// What [`mint_batch`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchSummary {
    /// Distinct tokens minted.
    pub tokens: usize,
    /// Lines written (`tokens × repeat`).
    pub lines: usize,
    /// `kid` of the signing key.
    pub kid: String,
    /// Issuer of the tokens.
    pub issuer: String,
    /// Signing threads used.
    pub threads: usize,
    /// Time spent signing.
    pub signing_time: Duration,
}

/// Mints `opts.count` distinct tokens with one fresh RSA-2048 key, signing on
/// `opts.threads` threads, writes them to `tokens_out` one per line (the whole sequence
/// `opts.repeat` times over) and the verifying key set (`{"keys":[…]}`, v1.0 shape) to
/// `jwks_out`. `progress(done, total)` is called from the calling thread a few times a
/// second while signing.
pub fn mint_batch(
    opts: &BatchOptions,
    tokens_out: &mut dyn Write,
    jwks_out: &mut dyn Write,
    progress: &dyn Fn(usize, usize),
) -> Result<BatchSummary, Error> {
    let key = SigningKey::generate(ENTRA_CERT_CN)?;
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    } else {
        opts.threads
    }
    .clamp(1, opts.count.max(1));
    let issuer = format!(
        "{}/{}/",
        opts.issuer_prefix.trim_end_matches('/'),
        opts.tenant_id
    );
    let now = now_secs();
    let done = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let started = Instant::now();
    let chunk = opts.count.div_ceil(threads);

    let results: Vec<Result<Vec<String>, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                let (key, issuer, done, finished) = (&key, &issuer, &done, &finished);
                scope.spawn(move || {
                    let start = w * chunk;
                    let end = ((w + 1) * chunk).min(opts.count);
                    let r = (start..end)
                        .map(|i| {
                            let t = one_token(opts, key, issuer, now, i);
                            done.fetch_add(1, Ordering::Relaxed);
                            t
                        })
                        .collect::<Result<Vec<String>, Error>>();
                    finished.fetch_add(1, Ordering::Release);
                    r
                })
            })
            .collect();
        while finished.load(Ordering::Acquire) < threads {
            std::thread::sleep(Duration::from_millis(250));
            progress(done.load(Ordering::Relaxed), opts.count);
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Runtime("a signing thread panicked".into())))
            })
            .collect()
    });
    let signing_time = started.elapsed();
    let mut tokens = Vec::with_capacity(opts.count);
    for r in results {
        tokens.extend(r?);
    }
    progress(tokens.len(), opts.count);

    let mut w = std::io::BufWriter::with_capacity(1 << 20, tokens_out);
    for _ in 0..opts.repeat {
        for t in &tokens {
            w.write_all(t.as_bytes())?;
            w.write_all(b"\n")?;
        }
    }
    w.flush()?;
    drop(w);
    jwks_out.write_all(keys_doc_json(&[key.jwk(None)]).as_bytes())?;
    jwks_out.write_all(b"\n")?;
    jwks_out.flush()?;

    Ok(BatchSummary {
        tokens: tokens.len(),
        lines: tokens.len() * opts.repeat,
        kid: key.kid().to_owned(),
        issuer,
        threads,
        signing_time,
    })
}

fn one_token(
    opts: &BatchOptions,
    key: &SigningKey,
    issuer: &str,
    now: i64,
    i: usize,
) -> Result<String, Error> {
    let req = MintRequest::user(format!("user{i:07}@{}", opts.domain))
        .audience(opts.audience.clone())
        .expires_in(opts.lifetime_secs);
    let r = Resolved {
        tenant_id: &opts.tenant_id,
        issuer: issuer.to_owned(),
        v1_issuer: issuer.to_owned(),
        key: Some(key),
    };
    let claims = build_claims(&req, &r, now);
    let header = build_header(&req, Some(key));
    encode_signed(&header, &claims, Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_batch_round_robin() {
        let opts = BatchOptions {
            count: 5,
            repeat: 3,
            threads: 2,
            ..BatchOptions::default()
        };
        let mut out = Vec::new();
        let mut jwks = Vec::new();
        let s = mint_batch(&opts, &mut out, &mut jwks, &|_, _| {}).expect("batch");
        assert_eq!(s.lines, 15);
        let text = String::from_utf8(out).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 15);
        assert_eq!(lines[0], lines[5]);
        assert_eq!(lines[4], lines[14]);
        let distinct: std::collections::HashSet<&&str> = lines.iter().collect();
        assert_eq!(distinct.len(), 5);
        let v: serde_json::Value = serde_json::from_slice(&jwks).expect("jwks");
        assert_eq!(v["keys"][0]["kid"], serde_json::Value::from(s.kid));
    }
}

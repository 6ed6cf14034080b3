//! A cache of fetched documents (discovery documents, key sets, workspace
//! tenants): in memory for the life of the process and on disk across runs,
//! each with the time it was fetched.
//!
//! - Fresh entries (younger than the TTL) are used without a request.
//! - A key set that lacks the token's `kid` (key rotation) is refetched, at
//!   most once per refetch interval per URL: the time of the last fetch is
//!   kept in the entry, on disk too, so separate runs share the throttle.
//! - Concurrent lookups of one URL share one fetch: each URL has an async
//!   mutex, and a waiter finds the entry its predecessor stored. This makes
//!   the cache usable from a long-running server.
//! - Disk files are written atomically (temporary file, then rename), one per
//!   URL, named by the SHA-256 of the URL.
//! - Offline, entries of any age are used and nothing is fetched.
//! - A failed fetch is remembered (a minute for a 4xx answer, such as
//!   Entra's for a tenant it does not know; 10 s for anything else): until
//!   then the URL is not asked again, so a server fed tokens naming an
//!   unknown tenant fetches once, not once per request. Fetches of all URLs
//!   together are rate-limited too (a burst, then a few a second): the
//!   number of distinct URLs is chosen by whoever sends the tokens.
//! - The folder is trusted only when nobody else can write to it: it is
//!   created 0700, and one writable by group or others, or owned by another
//!   user, is not used at all (said once, as a problem of the disk cache):
//!   keys planted there would make forged tokens pass. Entries are opened
//!   without blocking and without following a symbolic link, and read only
//!   when they are regular files (a FIFO must not hang a run).

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use entra_token::KeySet;
use serde::{Deserialize, Serialize};

use crate::net::http::{Cause, NetError};

/// How long a fetched document is used without asking again.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);

/// The shortest time between two fetches of one key set because of an
/// unknown `kid`.
pub const DEFAULT_REFETCH_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// How long a failed fetch answered with a 4xx status is remembered.
pub const FAILURE_TTL_REFUSED: Duration = Duration::from_secs(60);
/// How long any other failed fetch is remembered.
pub const FAILURE_TTL_OTHER: Duration = Duration::from_secs(10);
/// Failed URLs remembered at most.
const MAX_FAILURES: usize = 4096;
/// Fetches allowed at once before the rate applies ...
pub const FETCH_BURST: u32 = 32;
/// ... and then per second, over every URL.
pub const FETCH_RATE: u32 = 4;

/// The largest cache file read.
const MAX_FILE: usize = 3 * 1024 * 1024;

/// The cache's settings.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// The folder of cache files; `None` keeps entries in memory only.
    pub dir: Option<PathBuf>,
    pub ttl: Duration,
    pub refetch_interval: Duration,
}

impl CacheConfig {
    /// The platform's cache folder: `<cache>/entra-doctor/keys`.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("entra-doctor").join("keys"))
    }
}

/// A cached document.
#[derive(Debug, Clone)]
pub struct Entry {
    pub url: String,
    /// When it was fetched, in epoch seconds.
    pub fetched_at: i64,
    pub body: Arc<Vec<u8>>,
    /// The parsed key set, for key-set entries.
    pub keys: Option<Arc<KeySet>>,
}

impl Entry {
    fn has_kid(&self, kid: &str) -> bool {
        match &self.keys {
            Some(k) => {
                k.has_kid(kid)
                    || k.keys().iter().any(|key| key.x5t.as_deref() == Some(kid))
                    || k.problems().iter().any(|p| p.kid.as_deref() == Some(kid))
            }
            None => true,
        }
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Fetched now.
    Fetched,
    /// From the cache, fetched `age_secs` ago.
    Cache { age_secs: i64 },
    /// From the cache although stale, because fetching failed.
    StaleAfterError { age_secs: i64, error: NetError },
}

/// An answer and how it was obtained.
#[derive(Debug, Clone)]
pub struct Got {
    pub entry: Entry,
    pub origin: Origin,
    /// Something worth saying (a refetch after an unknown kid, a throttled
    /// refetch, an offline entry past its TTL...).
    pub note: Option<String>,
    /// The key set lacks the kid wanted and was not refetched because it was
    /// fetched within the refetch interval.
    pub throttled: bool,
}

/// Why nothing could be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// Offline, and nothing cached.
    Offline { url: String },
    /// The fetch failed and nothing was cached.
    Net(NetError),
}

/// What a document must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Anything (validated by the fetcher).
    Document,
    /// A JWKS; parsed into a [`KeySet`].
    KeySet,
}

#[derive(Serialize, Deserialize)]
struct DiskEntry {
    format: u32,
    url: String,
    fetched_at: i64,
    body: String,
}

type Slot = Arc<tokio::sync::Mutex<Option<Entry>>>;

/// The most documents kept in memory at once.
const MAX_SLOTS: usize = 1024;

/// The cache. Share one per process (behind an `Arc`).
pub struct DocCache {
    cfg: CacheConfig,
    slots: Mutex<HashMap<String, Slot>>,
    fetches: AtomicU64,
    /// Problems with the disk cache (unwritable folder...), said once.
    disk_problem: Mutex<Option<String>>,
    /// Recently failed fetches by URL: (when, how long it is remembered, the error).
    failures: Mutex<HashMap<String, (Instant, Duration, NetError)>>,
    /// The global fetch budget: (tokens, last refill).
    budget: Mutex<(f64, Instant)>,
}

impl std::fmt::Debug for DocCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocCache").field("cfg", &self.cfg).finish()
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The file name of a URL's entry: the SHA-256 of the URL, in hex.
pub fn file_name(url: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, url.as_bytes());
    let mut s = String::with_capacity(69);
    for b in digest.as_ref() {
        s.push_str(&format!("{b:02x}"));
    }
    s.push_str(".json");
    s
}

impl DocCache {
    pub fn new(cfg: CacheConfig) -> DocCache {
        DocCache {
            cfg,
            slots: Mutex::new(HashMap::new()),
            fetches: AtomicU64::new(0),
            disk_problem: Mutex::new(None),
            failures: Mutex::new(HashMap::new()),
            budget: Mutex::new((f64::from(FETCH_BURST), Instant::now())),
        }
    }

    /// The error of a fetch of `url` that failed recently, if one did.
    fn recent_failure(&self, url: &str) -> Option<NetError> {
        let map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(url)
            .filter(|(at, ttl, _)| at.elapsed() < *ttl)
            .map(|(_, _, e)| e.clone())
    }

    fn remember_failure(&self, url: &str, error: &NetError) {
        let ttl = match error.cause {
            Cause::Status { code, .. } if (400..500).contains(&code) => FAILURE_TTL_REFUSED,
            _ => FAILURE_TTL_OTHER,
        };
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_FAILURES && !map.contains_key(url) {
            map.retain(|_, (at, ttl, _)| at.elapsed() < *ttl);
            if map.len() >= MAX_FAILURES {
                // Bounded; the global fetch rate still holds.
                map.clear();
            }
        }
        map.insert(url.to_owned(), (Instant::now(), ttl, error.clone()));
    }

    /// Takes one fetch from the global budget; `false` when it is spent.
    fn take_fetch(&self) -> bool {
        let mut b = self
            .budget
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let refill = now.duration_since(b.1).as_secs_f64() * f64::from(FETCH_RATE);
        b.0 = (b.0 + refill).min(f64::from(FETCH_BURST));
        b.1 = now;
        if b.0 >= 1.0 {
            b.0 -= 1.0;
            true
        } else {
            false
        }
    }

    /// The settings.
    #[allow(dead_code)] // API for other commands (serve).
    pub fn config(&self) -> &CacheConfig {
        &self.cfg
    }

    /// How many fetches this cache made (for tests and statistics).
    #[allow(dead_code)] // API for other commands (serve) and tests.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    /// A problem met with the disk cache, if any.
    pub fn disk_problem(&self) -> Option<String> {
        self.disk_problem
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn slot(&self, url: &str) -> Slot {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slots.len() >= MAX_SLOTS && !slots.contains_key(url) {
            // Bounded: forget the documents nobody is using now (they stay
            // on disk). A server fed many issuers must not grow forever.
            slots.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        Arc::clone(slots.entry(url.to_owned()).or_default())
    }

    /// Gets a document: from memory, from disk, or by calling `fetch` (which
    /// returns the validated body). `kid`: for key sets, the key wanted; a
    /// fresh set without it is refetched unless it was fetched within the
    /// refetch interval. `fetch` is `None` offline.
    pub async fn get<F, Fut>(
        &self,
        url: &str,
        kind: Kind,
        kid: Option<&str>,
        fetch: Option<F>,
    ) -> Result<Got, Miss>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<u8>, NetError>>,
    {
        let slot = self.slot(url);
        let mut guard = slot.lock().await;
        if guard.is_none() {
            *guard = self.load(url, kind);
        }
        let now = now_secs();
        let ttl = self.cfg.ttl.as_secs() as i64;
        let interval = self.cfg.refetch_interval.as_secs() as i64;
        let mut note = None;
        if let Some(e) = guard.as_ref() {
            let age = now - e.fetched_at;
            let fresh = (0..ttl).contains(&age);
            let has = kid.is_none_or(|k| e.has_kid(k));
            if fetch.is_none() {
                let note = (!fresh).then(|| {
                    format!(
                        "the cached copy is {} old, past its {} lifetime (offline: not refreshed)",
                        ago(age),
                        ago(ttl)
                    )
                });
                return Ok(Got {
                    entry: e.clone(),
                    origin: Origin::Cache { age_secs: age },
                    note,
                    throttled: false,
                });
            }
            if fresh && has {
                return Ok(Got {
                    entry: e.clone(),
                    origin: Origin::Cache { age_secs: age },
                    note: None,
                    throttled: false,
                });
            }
            if fresh && !has {
                if (0..interval).contains(&age) {
                    let note = format!(
                        "the key set was fetched {} ago and lacks kid \"{}\"; not refetched before {} have passed",
                        ago(age),
                        kid.unwrap_or_default(),
                        ago(interval)
                    );
                    return Ok(Got {
                        entry: e.clone(),
                        origin: Origin::Cache { age_secs: age },
                        note: Some(note),
                        throttled: true,
                    });
                }
                note = Some(format!(
                    "the cached key set ({} old) lacked kid \"{}\" (keys rotate), so it was fetched again",
                    ago(age),
                    kid.unwrap_or_default()
                ));
            }
        }
        let Some(fetch) = fetch else {
            return Err(Miss::Offline {
                url: url.to_owned(),
            });
        };
        // A recent failure of this URL, or the global budget spent: no
        // request, the same answer as a failed fetch.
        let skipped = match self.recent_failure(url) {
            Some(e) => Some(e),
            None if !self.take_fetch() => Some(NetError {
                step: "outbound fetches",
                url: url.to_owned(),
                cause: Cause::Refused(format!(
                    "more documents were fetched than allowed ({FETCH_BURST} at once, then {FETCH_RATE} a second, for every URL together); retry in a moment"
                )),
            }),
            None => None,
        };
        let requested = skipped.is_none();
        let fetched = match skipped {
            Some(e) => Err(e),
            None => {
                self.fetches.fetch_add(1, Ordering::SeqCst);
                fetch().await
            }
        };
        let fetched = fetched.and_then(|body| {
            let keys = match kind {
                Kind::KeySet => Some(Arc::new(key_set_of(url, &body).map_err(|e| NetError {
                    step: "signing keys",
                    url: url.to_owned(),
                    cause: Cause::Shape(format!("not a usable key set: {e}")),
                })?)),
                Kind::Document => None,
            };
            Ok(Entry {
                url: url.to_owned(),
                fetched_at: now_secs(),
                body: Arc::new(body),
                keys,
            })
        });
        if let (true, Err(e)) = (requested, &fetched) {
            self.remember_failure(url, e);
        }
        match fetched {
            Ok(entry) => {
                self.store(&entry);
                *guard = Some(entry.clone());
                Ok(Got {
                    entry,
                    origin: Origin::Fetched,
                    note,
                    throttled: false,
                })
            }
            Err(error) => match guard.as_ref() {
                Some(e) => {
                    let age = now - e.fetched_at;
                    Ok(Got {
                        entry: e.clone(),
                        origin: Origin::StaleAfterError {
                            age_secs: age,
                            error,
                        },
                        note,
                        throttled: false,
                    })
                }
                None => Err(Miss::Net(error)),
            },
        }
    }

    fn path(&self, url: &str) -> Option<PathBuf> {
        self.cfg.dir.as_ref().map(|d| d.join(file_name(url)))
    }

    fn load(&self, url: &str, kind: Kind) -> Option<Entry> {
        let path = self.path(url)?;
        let dir = self.cfg.dir.as_deref()?;
        if !dir.exists() || !self.trusted(dir) {
            return None;
        }
        let bytes = read_bounded(&path)?;
        let disk: DiskEntry = serde_json::from_slice(&bytes).ok()?;
        if disk.format != 1 || disk.url != url {
            return None;
        }
        let body = disk.body.into_bytes();
        let keys = match kind {
            Kind::KeySet => Some(Arc::new(key_set_of(url, &body).ok()?)),
            Kind::Document => None,
        };
        Some(Entry {
            url: disk.url,
            fetched_at: disk.fetched_at,
            body: Arc::new(body),
            keys,
        })
    }

    fn store(&self, entry: &Entry) {
        let (Some(dir), Some(path)) = (self.cfg.dir.as_ref(), self.path(&entry.url)) else {
            return;
        };
        let Ok(body) = String::from_utf8(entry.body.to_vec()) else {
            return;
        };
        let disk = DiskEntry {
            format: 1,
            url: entry.url.clone(),
            fetched_at: entry.fetched_at,
            body,
        };
        if let Err(e) = create_private_dir(dir) {
            self.problem(format!(
                "cannot write the key cache in {}: {e}",
                dir.display()
            ));
            return;
        }
        if !self.trusted(dir) {
            return;
        }
        if let Err(e) = write_atomic(dir, &path, &disk) {
            self.problem(format!(
                "cannot write the key cache in {}: {e}",
                dir.display()
            ));
        }
    }

    /// Checks the folder now (for a start-up message): why it will not be
    /// used, if it exists and may not be trusted.
    pub fn check_dir(&self) -> Option<String> {
        let dir = self.cfg.dir.as_deref()?;
        if dir.exists() && !self.trusted(dir) {
            return self.disk_problem();
        }
        None
    }

    /// Records the first problem met with the disk cache.
    fn problem(&self, text: String) {
        let mut p = self
            .disk_problem
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if p.is_none() {
            *p = Some(text);
        }
    }

    /// Whether the folder may be trusted; if not, says why (once).
    fn trusted(&self, dir: &Path) -> bool {
        match untrusted_dir(dir) {
            None => true,
            Some(why) => {
                self.problem(format!(
                    "the key cache in {} is not used: {why}, so others could plant signing keys in it; run 'chmod 700 {0}' as its owner, or give another --cache-dir",
                    dir.display()
                ));
                false
            }
        }
    }
}

/// Why `dir` (an existing folder) must not be trusted, if it must not: not
/// a folder, writable by group or others, or owned by another user.
#[cfg(unix)]
fn untrusted_dir(dir: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) => return Some(format!("it cannot be read ({e})")),
    };
    if !meta.is_dir() {
        return Some("it is not a folder".into());
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Some(format!(
            "it is writable by {} (mode {mode:04o})",
            if mode & 0o002 != 0 {
                "everyone"
            } else {
                "its group"
            }
        ));
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Some(format!(
            "it belongs to user id {}, not to this user (id {me})",
            meta.uid()
        ));
    }
    None
}

#[cfg(not(unix))]
fn untrusted_dir(dir: &Path) -> Option<String> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => None,
        Ok(_) => Some("it is not a folder".into()),
        Err(e) => Some(format!("it cannot be read ({e})")),
    }
}

/// Creates the folder (and missing parents) readable by this user only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// A regular file's contents, at most [`MAX_FILE`] bytes; `None` for
/// anything else (a FIFO or device is not opened in a blocking way, a
/// symbolic link is not followed).
fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    let f = open_entry(path)?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    crate::input_source::read_bounded(f, MAX_FILE)
        .ok()
        .flatten()
}

#[cfg(unix)]
fn open_entry(path: &Path) -> Option<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty())
        .ok()
        .map(std::fs::File::from)
}

#[cfg(not(unix))]
fn open_entry(path: &Path) -> Option<std::fs::File> {
    std::fs::File::open(path).ok()
}

fn write_atomic(dir: &Path, path: &Path, disk: &DiskEntry) -> std::io::Result<()> {
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut tmp, disk).map_err(std::io::Error::other)?;
    tmp.flush()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// "3 min", "2 h", "40 s".
pub fn ago(secs: i64) -> String {
    entra_token::timefmt::span(secs.max(0))
}

/// A key set fetched from `url`. A URL with `?appid=<application>` serves
/// that application's own signing keys: every key is bound to it (the
/// engine lets such a key verify only tokens whose `aud` is that
/// application), whether the set was fetched now or read from disk.
pub fn key_set_of(url: &str, body: &[u8]) -> Result<KeySet, entra_token::KeyError> {
    let mut set = KeySet::from_json(body)?;
    if let Some(app) = application_of(url) {
        set.restrict_to_application(&app);
    }
    Ok(set)
}

/// The `appid` query parameter of a key set URL. Several that differ, or
/// an unreadable URL with `appid=` in it, bind to the empty name, which no
/// token's audience matches: such keys verify nothing.
pub fn application_of(url: &str) -> Option<String> {
    let Ok(u) = url::Url::parse(url) else {
        return url
            .to_ascii_lowercase()
            .contains("appid=")
            .then(String::new);
    };
    let mut found: Option<String> = None;
    for (k, v) in u.query_pairs() {
        if k.eq_ignore_ascii_case("appid") {
            match &found {
                Some(f) if !f.eq_ignore_ascii_case(&v) => return Some(String::new()),
                _ => found = Some(v.into_owned()),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWKS: &str = include_str!("../../../../examples/jwks.json");

    #[test]
    fn a_key_set_fetched_with_appid_is_bound_to_that_application() {
        let app = "0d7e4f3a-2b1c-4e5d-9f8a-7b6c5d4e3f2a";
        let bound = key_set_of(
            &format!("https://login.microsoftonline.com/t/discovery/keys?appid={app}"),
            JWKS.as_bytes(),
        )
        .unwrap();
        assert!(bound
            .keys()
            .iter()
            .all(|k| k.application.as_deref() == Some(app)));
        let tenant = key_set_of(
            "https://login.microsoftonline.com/t/discovery/keys",
            JWKS.as_bytes(),
        )
        .unwrap();
        assert!(tenant.keys().iter().all(|k| k.application.is_none()));
        // Two different appids bind to no application at all.
        assert_eq!(
            application_of("https://h/keys?appid=a&appid=b").as_deref(),
            Some("")
        );
        assert_eq!(
            application_of("https://h/keys?AppId=a&appid=A")
                .map(|a| a.to_ascii_lowercase())
                .as_deref(),
            Some("a")
        );
    }

    #[test]
    fn app_keys_read_back_from_disk_stay_bound() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://login.microsoftonline.com/t/discovery/keys?appid=app-1";
        rt().block_on(async {
            let fetch = || async { Ok(JWKS.as_bytes().to_vec()) };
            let c = cache(Some(dir.path().to_owned()));
            c.get(url, Kind::KeySet, None, Some(fetch)).await.unwrap();
            // A new process: read from disk, nothing fetched.
            let c2 = cache(Some(dir.path().to_owned()));
            let got = c2.get(url, Kind::KeySet, None, Some(fetch)).await.unwrap();
            assert_eq!(c2.fetches(), 0);
            let keys = got.entry.keys.unwrap();
            assert!(keys
                .keys()
                .iter()
                .all(|k| k.application.as_deref() == Some("app-1")));
        });
    }

    fn cache(dir: Option<PathBuf>) -> DocCache {
        DocCache::new(CacheConfig {
            dir,
            ttl: DEFAULT_TTL,
            refetch_interval: DEFAULT_REFETCH_INTERVAL,
        })
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn file_names_are_sha256_hex() {
        assert_eq!(
            file_name("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.json"
        );
    }

    #[test]
    fn second_lookup_uses_memory_then_disk() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://example.test/keys";
        rt().block_on(async {
            let c = cache(Some(dir.path().to_owned()));
            let fetch = || async { Ok(JWKS.as_bytes().to_vec()) };
            let got = c.get(url, Kind::KeySet, None, Some(fetch)).await.unwrap();
            assert_eq!(got.origin, Origin::Fetched);
            let got = c.get(url, Kind::KeySet, None, Some(fetch)).await.unwrap();
            assert!(matches!(got.origin, Origin::Cache { .. }));
            assert_eq!(c.fetches(), 1);
            // A new process: from disk.
            let c2 = cache(Some(dir.path().to_owned()));
            let got = c2.get(url, Kind::KeySet, None, Some(fetch)).await.unwrap();
            assert!(matches!(got.origin, Origin::Cache { .. }));
            assert_eq!(c2.fetches(), 0);
            assert!(got.entry.keys.is_some());
        });
    }

    #[test]
    fn unknown_kid_refetches_only_after_the_interval() {
        let url = "https://example.test/keys";
        rt().block_on(async {
            let c = cache(None);
            let fetch = || async { Ok(JWKS.as_bytes().to_vec()) };
            c.get(url, Kind::KeySet, None, Some(fetch)).await.unwrap();
            let got = c
                .get(url, Kind::KeySet, Some("no-such-kid"), Some(fetch))
                .await
                .unwrap();
            assert!(got.note.unwrap().contains("not refetched"));
            assert_eq!(c.fetches(), 1);
            // Age the entry past the interval.
            {
                let slot = c.slot(url);
                let mut g = slot.lock().await;
                g.as_mut().unwrap().fetched_at -= 600;
            }
            let got = c
                .get(url, Kind::KeySet, Some("no-such-kid"), Some(fetch))
                .await
                .unwrap();
            assert_eq!(got.origin, Origin::Fetched);
            assert!(got.note.unwrap().contains("fetched again"));
            assert_eq!(c.fetches(), 2);
        });
    }

    #[test]
    fn concurrent_lookups_share_one_fetch() {
        let url = "https://example.test/keys";
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let c = Arc::new(cache(None));
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let c = Arc::clone(&c);
                tasks.push(tokio::spawn(async move {
                    let fetch = || async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(JWKS.as_bytes().to_vec())
                    };
                    c.get(url, Kind::KeySet, Some("no-such-kid"), Some(fetch))
                        .await
                        .unwrap();
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(c.fetches(), 1);
        });
    }

    #[test]
    fn offline_uses_any_age_and_never_fetches() {
        let url = "https://example.test/keys";
        rt().block_on(async {
            let c = cache(None);
            type Fetch = fn() -> std::future::Ready<Result<Vec<u8>, NetError>>;
            let none: Option<Fetch> = None;
            assert!(matches!(
                c.get(url, Kind::KeySet, None, none).await,
                Err(Miss::Offline { .. })
            ));
            let fetch = || async { Ok(JWKS.as_bytes().to_vec()) };
            c.get(url, Kind::KeySet, None, Some(fetch)).await.unwrap();
            {
                let slot = c.slot(url);
                let mut g = slot.lock().await;
                g.as_mut().unwrap().fetched_at -= 3 * 24 * 3600;
            }
            let got = c.get(url, Kind::KeySet, None, none).await.unwrap();
            assert!(got.note.unwrap().contains("past its"));
        });
    }

    #[test]
    fn a_failed_fetch_falls_back_to_a_stale_entry() {
        let url = "https://example.test/keys";
        rt().block_on(async {
            let c = cache(None);
            c.get(
                url,
                Kind::KeySet,
                None,
                Some(|| async { Ok(JWKS.as_bytes().to_vec()) }),
            )
            .await
            .unwrap();
            {
                let slot = c.slot(url);
                let mut g = slot.lock().await;
                g.as_mut().unwrap().fetched_at -= 2 * 24 * 3600;
            }
            let fail = || async {
                Err(NetError {
                    step: "signing keys",
                    url: url.to_owned(),
                    cause: Cause::Connect("refused".into()),
                })
            };
            let got = c.get(url, Kind::KeySet, None, Some(fail)).await.unwrap();
            assert!(matches!(got.origin, Origin::StaleAfterError { .. }));
        });
    }

    #[cfg(unix)]
    fn mode_of(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[cfg(unix)]
    fn set_mode(p: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// Fills `dir` with one key-set entry, through a first cache.
    fn fill(dir: &Path, url: &str) {
        rt().block_on(async {
            let c = cache(Some(dir.to_owned()));
            let fetch = || async { Ok(JWKS.as_bytes().to_vec()) };
            c.get(url, Kind::KeySet, None, Some(fetch)).await.unwrap();
            assert!(c.disk_problem().is_none(), "{:?}", c.disk_problem());
        });
    }

    /// An offline lookup by a new cache (a new run) on `dir`.
    fn offline_lookup(dir: &Path, url: &str) -> (Result<Got, Miss>, Option<String>) {
        rt().block_on(async {
            let c = cache(Some(dir.to_owned()));
            type Fetch = fn() -> std::future::Ready<Result<Vec<u8>, NetError>>;
            let r = c.get(url, Kind::KeySet, None, None::<Fetch>).await;
            (r, c.disk_problem())
        })
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_folder_is_created_private() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("a").join("keys");
        fill(&dir, "https://example.test/keys");
        assert_eq!(mode_of(&dir), 0o700);
        assert_eq!(mode_of(&top.path().join("a")), 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_entry_is_skipped_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://example.test/keys";
        let fifo = dir.path().join(file_name(url));
        let d = std::fs::File::open(dir.path()).unwrap();
        rustix::fs::mkfifoat(
            &d,
            file_name(url).as_str(),
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
        assert!(fifo.exists());
        // Opening a FIFO for reading blocks until a writer comes: the
        // lookup must return at once, with nothing.
        let (tx, rx) = std::sync::mpsc::channel();
        let p = dir.path().to_owned();
        std::thread::spawn(move || {
            let _ = tx.send(offline_lookup(&p, url).0.is_err());
        });
        let missed = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("no hang on a FIFO");
        assert!(missed);
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_others_can_write_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://example.test/keys";
        fill(dir.path(), url);
        assert!(
            offline_lookup(dir.path(), url).0.is_ok(),
            "control: a private folder is used"
        );
        for (mode, who) in [(0o777, "everyone"), (0o770, "its group")] {
            set_mode(dir.path(), mode);
            let (r, problem) = offline_lookup(dir.path(), url);
            assert!(matches!(r, Err(Miss::Offline { .. })), "{mode:o}: {r:?}");
            let problem = problem.unwrap();
            assert!(problem.contains(&format!("writable by {who}")), "{problem}");
            assert!(problem.contains("chmod 700"), "{problem}");
        }
        // Nor written to.
        let before = std::fs::read_dir(dir.path()).unwrap().count();
        rt().block_on(async {
            let c = cache(Some(dir.path().to_owned()));
            let fetch = || async { Ok(JWKS.as_bytes().to_vec()) };
            c.get(
                "https://example.test/other",
                Kind::KeySet,
                None,
                Some(fetch),
            )
            .await
            .unwrap();
            assert!(c.disk_problem().unwrap().contains("not used"));
        });
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), before);
        set_mode(dir.path(), 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_of_another_user_is_not_trusted() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let url = "https://example.test/keys";
        fill(dir.path(), url);
        let me = rustix::process::geteuid().as_raw();
        let other = if me == 0 { 4242 } else { 0 };
        // As root (CI): hand the folder to another user. Otherwise the
        // folder cannot be given away; check one that root owns instead.
        let target = if std::os::unix::fs::chown(dir.path(), Some(other), None).is_ok() {
            dir.path().to_owned()
        } else {
            PathBuf::from("/")
        };
        assert_eq!(std::fs::metadata(&target).unwrap().uid(), other);
        let why = untrusted_dir(&target).expect("not trusted");
        assert!(
            why.contains(&format!("belongs to user id {other}")),
            "{why}"
        );
        if target == dir.path() {
            let (r, problem) = offline_lookup(dir.path(), url);
            assert!(r.is_err(), "{r:?}");
            assert!(problem.unwrap().contains("belongs to user id"));
            std::os::unix::fs::chown(dir.path(), Some(me), None).unwrap();
        }
    }

    #[test]
    fn a_failed_fetch_is_remembered_not_repeated() {
        let url = "https://example.test/tenant/.well-known/openid-configuration";
        rt().block_on(async {
            let c = cache(None);
            let unknown = || async {
                Err(NetError {
                    step: "OpenID discovery",
                    url: url.to_owned(),
                    cause: Cause::Status {
                        code: 400,
                        snippet: "AADSTS90002".into(),
                    },
                })
            };
            for _ in 0..10 {
                let r = c.get(url, Kind::Document, None, Some(unknown)).await;
                match r {
                    Err(Miss::Net(e)) => assert!(e.cause.to_string().contains("AADSTS90002")),
                    other => panic!("{other:?}"),
                }
            }
            assert_eq!(c.fetches(), 1);
            // Once the failure is older than its time, the URL is asked again.
            {
                let mut f = c.failures.lock().unwrap();
                let e = f.get_mut(url).unwrap();
                assert_eq!(e.1, FAILURE_TTL_REFUSED);
                e.0 -= FAILURE_TTL_REFUSED;
            }
            let ok = || async { Ok(b"{}".to_vec()) };
            c.get(url, Kind::Document, None, Some(ok)).await.unwrap();
            assert_eq!(c.fetches(), 2);
        });
    }

    #[test]
    fn fetches_of_every_url_together_are_rate_limited() {
        rt().block_on(async {
            let c = cache(None);
            let ok = || async { Ok(b"{}".to_vec()) };
            let mut refused = 0;
            for i in 0..(FETCH_BURST + 20) {
                let url = format!("https://example.test/{i}");
                match c.get(&url, Kind::Document, None, Some(ok)).await {
                    Ok(_) => {}
                    Err(Miss::Net(e)) => {
                        assert!(e.to_string().contains("retry in a moment"), "{e}");
                        refused += 1;
                    }
                    Err(m) => panic!("{m:?}"),
                }
            }
            // The loop takes well under a second: at most a few refills.
            assert!(
                c.fetches() >= u64::from(FETCH_BURST) && c.fetches() <= u64::from(FETCH_BURST) + 4
            );
            assert_eq!(c.fetches() + refused, u64::from(FETCH_BURST) + 20);
            // A refusal is not a failure of the URL: asked once budget returns.
            assert!(c.recent_failure("https://example.test/51").is_none());
        });
    }
}

//! The verified-token cache: one type, one set of bounds, used by
//! `check --batch` and `serve`'s GET /auth through the fast path of
//! `pipeline` (what is remembered of a token's check).
//!
//! An RSA verification costs far more than the rest of a check, and the same
//! token comes back often (a log, a session behind a reverse proxy). The
//! cache is keyed by [`CacheKey`]: SHA-256(SHA-256(signing input) ||
//! signature text). It covers the whole token, holds no token (a digest
//! cannot be turned back into one), and its inner digest is the one RS256,
//! PS256 and ES256 verification needs anyway, so a miss costs no extra hash.
//! Every entry carries the generation of the key set it was reached with: a
//! hit needs a generation the caller still takes for current, so new keys
//! are never answered from an outcome reached with old ones.
//!
//! Bounded three ways ([`Bounds`]): entries, bytes (an entry says its own
//! [`Weight`]), and idle time (an entry not used for that long is gone).
//! Entries are spread over shards, each evicting its oldest insertion first.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{self, SHA256};

pub use aws_lc_rs::digest::Digest;

const SHARDS: usize = 32;

/// The key of a token: SHA-256(SHA-256(signing input) || signature text).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// The key of the compact token `text` and the SHA-256 of its signing
    /// input (for `verify_token_prehashed`).
    pub fn of(text: &str) -> (CacheKey, Digest) {
        let (signing_input, signature) = text.rsplit_once('.').unwrap_or((text, ""));
        let inner = digest::digest(&SHA256, signing_input.as_bytes());
        let mut ctx = digest::Context::new(&SHA256);
        ctx.update(inner.as_ref());
        ctx.update(signature.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        (CacheKey(key), inner)
    }

    /// The shard: from the last byte, so that it is independent of the
    /// map's hash (the first eight bytes).
    fn shard(&self) -> usize {
        usize::from(self.0[31]) % SHARDS
    }
}

impl Hash for CacheKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already uniform: eight of its bytes are the hash.
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(b));
    }
}

/// Passes a key's u64 through, with no second hashing.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Roughly the bytes a cached value holds, with its own allocations.
pub trait Weight {
    fn weight(&self) -> usize;
}

/// The bounds of a cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Entries held at most (rounded up to a multiple of the shards).
    pub entries: usize,
    /// About this many bytes held at most, entries' overhead included.
    pub bytes: usize,
    /// An entry not used for this long is not answered from, and dropped.
    pub idle: Duration,
}

impl Bounds {
    /// The bounds of every cache but for the entries: 24 MiB, 15 minutes
    /// idle.
    pub const fn entries(entries: usize) -> Bounds {
        Bounds {
            entries,
            bytes: 24 << 20,
            idle: Duration::from_secs(15 * 60),
        }
    }
}

/// Per entry besides its value: key, map slot, order slot, `Arc`, times.
const OVERHEAD: usize = 128;

/// An entry, kept small (it is most of the cache's memory when the values
/// are small): its weight is the value's own, asked again on removal (a
/// value behind an `Arc` does not change), and its times are in seconds.
struct Entry<V> {
    generation: u64,
    value: Arc<V>,
    /// Last used, in seconds since the cache was made.
    used: u32,
    /// Which insertion this is, to match it with its place in `order`
    /// (wrapping: the order holds far fewer places than 2^32).
    seq: u32,
}

struct Shard<V> {
    map: HashMap<CacheKey, Entry<V>, BuildHasherDefault<PassThrough>>,
    order: VecDeque<(CacheKey, u32)>,
    bytes: usize,
    next_seq: u32,
}

impl<V> Default for Shard<V> {
    fn default() -> Self {
        Shard {
            map: HashMap::default(),
            order: VecDeque::new(),
            bytes: 0,
            next_seq: 0,
        }
    }
}

impl<V: Weight> Shard<V> {
    fn remove(&mut self, key: &CacheKey) {
        if let Some(e) = self.map.remove(key) {
            self.bytes = self.bytes.saturating_sub(OVERHEAD + e.value.weight());
        }
    }

    /// Drops the oldest insertion still held; false when none is left.
    fn evict_oldest(&mut self) -> bool {
        while let Some((key, seq)) = self.order.pop_front() {
            if self.map.get(&key).is_some_and(|e| e.seq == seq) {
                self.remove(&key);
                return true;
            }
        }
        false
    }
}

/// Values by token key and key-set generation, bounded by [`Bounds`].
pub struct VerifiedCache<V> {
    shards: Box<[Mutex<Shard<V>>]>,
    per_shard: usize,
    bytes_per_shard: usize,
    /// The idle bound, in whole seconds.
    idle: u64,
    /// When the cache was made: entries' times count from here.
    epoch: Instant,
}

impl<V: Weight> VerifiedCache<V> {
    pub fn new(bounds: Bounds) -> VerifiedCache<V> {
        VerifiedCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: bounds.entries.div_ceil(SHARDS).max(1),
            bytes_per_shard: (bounds.bytes / SHARDS).max(1),
            idle: bounds.idle.as_secs(),
            epoch: Instant::now(),
        }
    }

    /// `now` in seconds since the cache was made.
    fn seconds(&self, now: Instant) -> u32 {
        u32::try_from(now.saturating_duration_since(self.epoch).as_secs()).unwrap_or(u32::MAX)
    }

    /// The value remembered for this token with keys of `generation`, when
    /// it was used within the idle time.
    #[cfg(test)]
    pub fn get(&self, key: &CacheKey, generation: u64) -> Option<Arc<V>> {
        self.get_at(key, |g| g == generation, Instant::now)
    }

    /// The value remembered for this token with keys of a generation that
    /// `current` accepts, when it was used within the idle time.
    pub fn get_current(&self, key: &CacheKey, current: impl Fn(u64) -> bool) -> Option<Arc<V>> {
        self.get_at(key, current, Instant::now)
    }

    /// The clock is read only for a token found (a miss, the common case
    /// of a batch of distinct tokens, needs no time).
    fn get_at(
        &self,
        key: &CacheKey,
        current: impl Fn(u64) -> bool,
        now: impl FnOnce() -> Instant,
    ) -> Option<Arc<V>> {
        let mut shard = self.shards[key.shard()].lock().ok()?;
        let entry = shard.map.get_mut(key)?;
        let now = self.seconds(now());
        if u64::from(now.saturating_sub(entry.used)) > self.idle {
            shard.remove(key);
            return None;
        }
        if !current(entry.generation) {
            return None;
        }
        entry.used = now;
        Some(entry.value.clone())
    }

    /// Remembers a value; the oldest insertions make room.
    pub fn put(&self, key: CacheKey, generation: u64, value: Arc<V>) {
        self.put_at(key, generation, value, Instant::now())
    }

    fn put_at(&self, key: CacheKey, generation: u64, value: Arc<V>, now: Instant) {
        let weight = OVERHEAD + value.weight();
        if weight > self.bytes_per_shard {
            return;
        }
        let Ok(mut shard) = self.shards[key.shard()].lock() else {
            return;
        };
        shard.remove(&key);
        while shard.map.len() >= self.per_shard || shard.bytes + weight > self.bytes_per_shard {
            if !shard.evict_oldest() {
                break;
            }
        }
        // Keys whose entries went (idle, replaced) leave stale places.
        if shard.order.len() > 2 * self.per_shard {
            let Shard { map, order, .. } = &mut *shard;
            order.retain(|(k, seq)| map.get(k).is_some_and(|e| e.seq == *seq));
        }
        let seq = shard.next_seq;
        shard.next_seq = seq.wrapping_add(1);
        shard.order.push_back((key, seq));
        shard.bytes += weight;
        shard.map.insert(
            key,
            Entry {
                generation,
                value,
                used: self.seconds(now),
                seq,
            },
        );
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|s| s.map.len()).unwrap_or(0))
            .sum()
    }

    /// No entry held now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held now, as the entries weigh themselves.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|s| s.bytes).unwrap_or(0))
            .sum()
    }

    /// The most entries held.
    pub fn capacity(&self) -> usize {
        self.per_shard * SHARDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sized(usize);

    impl Weight for Sized {
        fn weight(&self) -> usize {
            self.0
        }
    }

    fn key(s: &str) -> CacheKey {
        CacheKey::of(s).0
    }

    fn cache(entries: usize, bytes: usize, idle: Duration) -> VerifiedCache<Sized> {
        VerifiedCache::new(Bounds {
            entries,
            bytes,
            idle,
        })
    }

    #[test]
    fn hits_only_for_the_same_generation() {
        let c = cache(100, 1 << 20, Duration::from_secs(60));
        let k = key("a.b.c");
        assert!(c.get(&k, 0).is_none());
        c.put(k, 0, Arc::new(Sized(1)));
        assert!(c.get(&k, 0).is_some());
        assert!(c.get(&k, 1).is_none());
        assert!(c.get(&key("a.b.d"), 0).is_none());
        // A new generation replaces the entry.
        c.put(k, 1, Arc::new(Sized(1)));
        assert!(c.get(&k, 1).is_some());
        assert!(c.get(&k, 0).is_none());
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn key_covers_signing_input_and_signature() {
        assert_ne!(key("a.b.c"), key("a.b.d"));
        assert_ne!(key("a.b.c"), key("a.x.c"));
        assert_eq!(key("a.b.c"), key("a.b.c"));
        let (_, inner) = CacheKey::of("a.b.c");
        assert_eq!(inner.as_ref(), digest::digest(&SHA256, b"a.b").as_ref());
    }

    #[test]
    fn stays_bounded_in_entries_and_keeps_the_newest() {
        let c = cache(64, 1 << 30, Duration::from_secs(60));
        for i in 0..10_000 {
            c.put(key(&format!("t.{i}.s")), 0, Arc::new(Sized(1)));
        }
        assert_eq!(c.capacity(), 64);
        assert!(c.len() <= c.capacity());
        assert!(c.get(&key("t.9999.s"), 0).is_some());
        assert!(c.get(&key("t.0.s"), 0).is_none());
    }

    #[test]
    fn stays_bounded_in_bytes() {
        let bytes = 32 * 4096;
        let c = cache(1 << 20, bytes, Duration::from_secs(60));
        for i in 0..10_000 {
            c.put(key(&format!("t.{i}.s")), 0, Arc::new(Sized(1000)));
        }
        assert!(c.bytes() <= bytes, "{} bytes held", c.bytes());
        assert!(c.len() <= bytes / 1000);
        assert!(c.get(&key("t.9999.s"), 0).is_some());
        // A value heavier than a shard holds is not kept at all.
        let heavy = key("heavy.x.y");
        c.put(heavy, 0, Arc::new(Sized(bytes)));
        assert!(c.get(&heavy, 0).is_none());
    }

    #[test]
    fn idle_entries_are_not_answered_from() {
        let c = cache(100, 1 << 20, Duration::from_secs(60));
        let k = key("a.b.c");
        let t0 = Instant::now();
        c.put_at(k, 0, Arc::new(Sized(1)), t0);
        // Used within the idle time, it stays (and its idle time restarts).
        assert!(c
            .get_at(&k, |g| g == 0, || t0 + Duration::from_secs(50))
            .is_some());
        assert!(c
            .get_at(&k, |g| g == 0, || t0 + Duration::from_secs(100))
            .is_some());
        // Unused for longer, it is gone and its bytes with it.
        assert!(c
            .get_at(&k, |g| g == 0, || t0 + Duration::from_secs(200))
            .is_none());
        assert_eq!(c.len(), 0);
        assert_eq!(c.bytes(), 0);
    }

    #[test]
    fn replaced_and_idle_entries_do_not_grow_the_order() {
        let c = cache(32, 1 << 20, Duration::from_secs(60));
        let k = key("a.b.c");
        for g in 0..10_000 {
            c.put(k, g, Arc::new(Sized(1)));
        }
        assert_eq!(c.len(), 1);
        let longest = c
            .shards
            .iter()
            .map(|s| s.lock().map(|s| s.order.len()).unwrap_or(0))
            .max();
        assert!(longest <= Some(2 * c.per_shard + 1));
        assert!(c.get(&k, 9_999).is_some());
    }
}

//! The verified-token cache of GET /auth.
//!
//! A reverse proxy sends the same token with every request of a session, and
//! an RSA verification costs far more than the rest of the check. The cache
//! remembers the *signature outcome* only, keyed by the SHA-256 of the whole
//! compact token and the key set's generation; the time, audience, issuer
//! and tenant rules still run on every request. It holds no token: a digest
//! cannot be turned back into one.
//!
//! Bounded: a fixed number of entries spread over shards, each evicting its
//! oldest insertion first.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest::{digest, SHA256};
use entra_token::SignatureOutcome;

const SHARDS: usize = 32;

/// A token's SHA-256.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    pub fn of(token: &str) -> TokenDigest {
        let mut out = [0u8; 32];
        out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
        TokenDigest(out)
    }

    fn shard(&self) -> usize {
        usize::from(self.0[31]) % SHARDS
    }
}

impl Hash for TokenDigest {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already uniformly distributed: 8 of its bytes make the hash.
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(b));
    }
}

/// Passes a digest's u64 through.
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

struct Entry {
    generation: u64,
    outcome: Arc<SignatureOutcome>,
}

#[derive(Default)]
struct Shard {
    map: HashMap<TokenDigest, Entry, BuildHasherDefault<PassThrough>>,
    order: VecDeque<TokenDigest>,
}

/// Signature outcomes by token digest.
pub struct TokenCache {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
}

impl TokenCache {
    /// A cache of about `entries` outcomes (at least one per shard).
    pub fn new(entries: usize) -> TokenCache {
        let per_shard = entries.div_ceil(SHARDS).max(1);
        TokenCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard,
        }
    }

    /// The outcome reached for this token with keys of `generation`.
    pub fn get(&self, key: &TokenDigest, generation: u64) -> Option<Arc<SignatureOutcome>> {
        let shard = self.shards[key.shard()].lock().ok()?;
        shard
            .map
            .get(key)
            .filter(|e| e.generation == generation)
            .map(|e| e.outcome.clone())
    }

    /// Remembers an outcome.
    pub fn put(&self, key: TokenDigest, generation: u64, outcome: Arc<SignatureOutcome>) {
        let Ok(mut shard) = self.shards[key.shard()].lock() else {
            return;
        };
        if let Some(e) = shard.map.get_mut(&key) {
            *e = Entry {
                generation,
                outcome,
            };
            return;
        }
        while shard.order.len() >= self.per_shard {
            match shard.order.pop_front() {
                Some(old) => {
                    shard.map.remove(&old);
                }
                None => break,
            }
        }
        shard.order.push_back(key);
        shard.map.insert(
            key,
            Entry {
                generation,
                outcome,
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

    /// The most entries held.
    pub fn capacity(&self) -> usize {
        self.per_shard * SHARDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome() -> Arc<SignatureOutcome> {
        Arc::new(SignatureOutcome::NoKeys)
    }

    #[test]
    fn hits_only_for_the_same_generation() {
        let c = TokenCache::new(100);
        let k = TokenDigest::of("a.b.c");
        assert!(c.get(&k, 0).is_none());
        c.put(k, 0, outcome());
        assert!(c.get(&k, 0).is_some());
        assert!(c.get(&k, 1).is_none());
        assert!(c.get(&TokenDigest::of("a.b.d"), 0).is_none());
    }

    #[test]
    fn stays_bounded() {
        let c = TokenCache::new(64);
        for i in 0..10_000 {
            c.put(TokenDigest::of(&format!("t{i}")), 0, outcome());
        }
        assert!(c.len() <= c.capacity());
        assert_eq!(c.capacity(), 64);
        // The newest survive.
        assert!(c.get(&TokenDigest::of("t9999"), 0).is_some());
    }
}

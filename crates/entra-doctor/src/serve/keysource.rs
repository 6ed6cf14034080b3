//! Where the server's signing keys come from.
//!
//! Every handler asks a [`KeySource`] for the keys that may have signed a
//! token, and tells it when a token names a key it does not have. A fixed
//! set (`--jwks`) answers at once and never changes. Discovery (no `--jwks`)
//! finds the keys by the token's issuer through the `net` module's shared
//! cache (in memory and on disk, one fetch per URL however many requests
//! wait, refetch on an unknown kid at most once per interval); in front of
//! it a small map by issuer answers the hot path without a lock held across
//! an await.
//!
//! A set carries a *generation*: the verified-token cache keys its entries
//! on it, so a refetched set invalidates every outcome reached with the old
//! one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entra_token::{issuer, KeySet, Token};

use crate::net::discovery::{self, KeysProblem};
use crate::net::workspace::miss_text;
use crate::net::{Online, Plan};

/// The keys to verify one token with.
#[derive(Debug, Clone)]
pub struct Keys {
    pub set: Arc<KeySet>,
    /// Changes whenever the source's keys change.
    pub generation: u64,
}

/// Why the source gave no keys.
#[derive(Debug, Clone)]
pub enum KeyFetchError {
    /// This token's keys cannot be looked up (not an Entra issuer, a tenant
    /// Entra does not know, a discovery document for another issuer): the
    /// token is refused, GET /auth answers 401.
    Refused(String),
    /// The keys cannot be had now (network, or offline with nothing
    /// cached): the check did not run, GET /auth answers 503.
    Unavailable(String),
}

/// How long the issuer map answers before asking the shared cache again
/// (which answers from memory while its own entry is fresh).
const RECHECK: Duration = Duration::from_secs(300);
/// Issuers remembered at most (the map is cleared when full).
const MAX_ISSUERS: usize = 256;

/// Keys by OpenID discovery.
pub struct Discovery {
    pub online: Arc<Online>,
    pub plan: Plan,
    by_issuer: Mutex<HashMap<String, (Keys, Instant)>>,
    /// When each generation in `by_issuer` was last had from the shared
    /// cache: what [`KeySource::is_current`] answers from.
    confirmed: Mutex<HashMap<u64, Instant>>,
    /// The generation of each key set, by its URL.
    sets: Mutex<HashMap<String, Keys>>,
    generation: AtomicU64,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery")
            .field("offline", &self.plan.offline)
            .finish()
    }
}

/// The server's source of signing keys.
#[derive(Debug)]
pub enum KeySource {
    /// A fixed key set, read once at start (`--jwks`).
    Fixed { keys: Keys, label: String },
    /// OpenID discovery by the token's issuer.
    Discovery(Box<Discovery>),
}

impl KeySource {
    /// A fixed key set, labelled for the start-up message.
    pub fn fixed(set: Arc<KeySet>, label: String) -> KeySource {
        KeySource::Fixed {
            keys: Keys { set, generation: 0 },
            label,
        }
    }

    /// Keys by discovery.
    pub fn discovery(online: Arc<Online>, plan: Plan) -> KeySource {
        KeySource::Discovery(Box::new(Discovery {
            online,
            plan,
            by_issuer: Mutex::new(HashMap::new()),
            confirmed: Mutex::new(HashMap::new()),
            sets: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(1),
        }))
    }

    /// The keys for `token`; `None` when they are not looked up for it.
    /// `only_tenant`: look keys up only for tokens of this tenant (GET /auth
    /// with `--tenant`: a token of another tenant fails the issuer and
    /// tenant rules anyway, and must not make the server fetch anything).
    pub async fn keys_for(
        &self,
        token: &Token,
        only_tenant: Option<&str>,
    ) -> Result<Option<Keys>, KeyFetchError> {
        match self {
            KeySource::Fixed { keys, .. } => Ok(Some(keys.clone())),
            KeySource::Discovery(d) => d.keys_for(token, only_tenant).await,
        }
    }

    /// Called when `token` names a key missing from the set of generation
    /// `seen`: a newer set when one could be had (Entra rotates keys), else
    /// `None`. A fixed set never changes.
    pub async fn refresh(&self, token: &Token, seen: u64) -> Result<Option<Keys>, KeyFetchError> {
        match self {
            KeySource::Fixed { .. } => Ok(None),
            KeySource::Discovery(d) => {
                let keys = d.fetch(token).await?;
                Ok((keys.generation != seen).then_some(keys))
            }
        }
    }

    /// Whether keys of `generation` are still the source's keys, as
    /// [`KeySource::keys_for`] would answer now without asking further
    /// (for discovery: a set had from the shared cache within the recheck
    /// interval), so that an outcome reached with them may be reused
    /// without looking the token's keys up.
    pub fn is_current(&self, generation: u64) -> bool {
        match self {
            KeySource::Fixed { keys, .. } => generation == keys.generation,
            KeySource::Discovery(d) => d
                .confirmed
                .lock()
                .is_ok_and(|c| c.get(&generation).is_some_and(|at| at.elapsed() < RECHECK)),
        }
    }

    /// The fixed key set, if that is the source.
    pub fn fixed_set(&self) -> Option<Arc<KeySet>> {
        match self {
            KeySource::Fixed { keys, .. } => Some(keys.set.clone()),
            KeySource::Discovery(_) => None,
        }
    }

    /// Whether keys come from discovery.
    pub fn is_discovery(&self) -> bool {
        matches!(self, KeySource::Discovery(_))
    }

    /// For the start-up message.
    pub fn describe(&self) -> String {
        match self {
            KeySource::Fixed { keys, label } => {
                let n = keys.set.keys().len();
                format!("{label} ({n} key{})", if n == 1 { "" } else { "s" })
            }
            KeySource::Discovery(d) => {
                let how = if d.plan.offline {
                    "from the key cache only (--offline)"
                } else {
                    "by OpenID discovery"
                };
                match &d.plan.issuer {
                    Some(i) => format!("{how} of the issuer {i}, cached"),
                    None => format!("{how} of each token's Entra ID issuer, cached"),
                }
            }
        }
    }
}

/// The token's issuer (`iss`), by which its keys are looked up.
pub(crate) fn issuer_of(token: &Token) -> Option<&str> {
    token.claims().iss.and_then(|v| v.as_str())
}

impl Discovery {
    async fn keys_for(
        &self,
        token: &Token,
        only_tenant: Option<&str>,
    ) -> Result<Option<Keys>, KeyFetchError> {
        let Some(iss) = issuer_of(token) else {
            return Err(KeyFetchError::Refused(
                "the token has no issuer ('iss'), so its signing keys cannot be looked up".into(),
            ));
        };
        if let (Some(t), None) = (only_tenant, &self.plan.issuer) {
            let tenant = issuer::parse(iss).map(|p| p.tenant);
            if !tenant.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(t)) {
                // Not looked up: the issuer and tenant rules say why.
                return Ok(None);
            }
        }
        if let Ok(map) = self.by_issuer.lock() {
            if let Some((keys, at)) = map.get(iss) {
                if at.elapsed() < RECHECK {
                    return Ok(Some(keys.clone()));
                }
            }
        }
        self.fetch(token).await.map(Some)
    }

    /// Asks the shared cache (which fetches when it must), and remembers the
    /// answer by issuer; a set that changed gets a new generation.
    async fn fetch(&self, token: &Token) -> Result<Keys, KeyFetchError> {
        let iss = issuer_of(token).unwrap_or_default().to_owned();
        let source = discovery::source_for(
            token,
            self.plan.issuer.as_deref(),
            self.plan.authority.as_ref(),
            self.plan.env_cloud.clone(),
            None,
        )
        .map_err(KeyFetchError::Refused)?;
        let kid = token.header().kid().or_else(|| token.header().x5t());
        let app = crate::net::app_for_keys(token, self.plan.client_id.as_ref());
        let found = discovery::fetch_keys(&self.online, &source, kid, app.as_ref())
            .await
            .map_err(|p| match p {
                KeysProblem::Verdict(f) => KeyFetchError::Refused(f.message),
                KeysProblem::Miss { miss, .. } => KeyFetchError::Unavailable(miss_text(&miss)),
            })?;
        let keys = self.generation_of(&found.jwks_uri, &found.keys);
        // An application's own keys serve that application only: not
        // remembered by issuer.
        if found.app_keys_of.is_none() {
            if let Ok(mut map) = self.by_issuer.lock() {
                let now = Instant::now();
                if let Ok(mut confirmed) = self.confirmed.lock() {
                    if confirmed.len() >= MAX_ISSUERS {
                        confirmed.clear();
                    }
                    confirmed.insert(keys.generation, now);
                }
                if map.len() >= MAX_ISSUERS {
                    map.clear();
                }
                map.insert(iss, (keys.clone(), now));
            }
        }
        Ok(keys)
    }

    /// The set with its generation: the same set (by pointer: the shared
    /// cache hands out one `Arc` per fetch) keeps its generation, a set
    /// fetched anew gets the next one.
    fn generation_of(&self, jwks_uri: &str, set: &Arc<KeySet>) -> Keys {
        let fresh = || self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let Ok(mut sets) = self.sets.lock() else {
            return Keys {
                set: set.clone(),
                generation: fresh(),
            };
        };
        if let Some(k) = sets.get(jwks_uri) {
            if Arc::ptr_eq(&k.set, set) {
                return k.clone();
            }
        }
        if sets.len() >= MAX_ISSUERS * 2 {
            sets.clear();
        }
        let k = Keys {
            set: set.clone(),
            generation: fresh(),
        };
        sets.insert(jwks_uri.to_owned(), k.clone());
        k
    }
}

//! Runtime state shared by the listeners and the [`crate::RunningEmulator`] handle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use tokio::sync::watch;

use crate::config::{EmulatorConfig, IssuerConfig, Platform, WorkspaceConfig};
use crate::fault::FaultRule;
use crate::keys::{SigningKey, CONSUMER_CERT_CN, ENTRA_CERT_CN};
use crate::mint::{KeyChoice, MintRequest, Resolved, TokenVersion};
use crate::util::{derived_digits, derived_guid, Obj};
use crate::{Error, CONSUMER_TENANT_ID};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A tenant signing key and whether it is in the published key sets.
pub(crate) struct KeyEntry {
    pub(crate) key: Arc<SigningKey>,
    pub(crate) published: bool,
}

pub(crate) struct TenantState {
    pub(crate) id: String,
    pub(crate) domain: Option<String>,
    pub(crate) region: String,
    /// Oldest first; the last one is current.
    pub(crate) keys: Vec<KeyEntry>,
    pub(crate) app_keys: Vec<(String, Arc<SigningKey>)>,
}

impl TenantState {
    pub(crate) fn current(&self) -> Option<&Arc<SigningKey>> {
        self.keys.last().map(|e| &e.key)
    }

    pub(crate) fn published(&self) -> impl Iterator<Item = &Arc<SigningKey>> {
        // Entra lists the newest keys first.
        self.keys
            .iter()
            .rev()
            .filter(|e| e.published)
            .map(|e| &e.key)
    }
}

/// Issuer strings, resolved against the base URL.
pub(crate) struct Issuers {
    pub(crate) v1_prefix: String,
    pub(crate) v2_prefix: String,
}

impl Issuers {
    pub(crate) fn new(cfg: &IssuerConfig, base_url: &str) -> Self {
        if cfg.loopback {
            Self {
                v1_prefix: base_url.to_owned(),
                v2_prefix: base_url.to_owned(),
            }
        } else {
            Self {
                v1_prefix: cfg.v1_prefix.trim_end_matches('/').to_owned(),
                v2_prefix: cfg.v2_prefix.trim_end_matches('/').to_owned(),
            }
        }
    }

    pub(crate) fn v1(&self, tid: &str) -> String {
        format!("{}/{tid}/", self.v1_prefix)
    }

    pub(crate) fn v2(&self, tid: &str) -> String {
        format!("{}/{tid}/v2.0", self.v2_prefix)
    }
}

pub(crate) struct WorkspaceState {
    pub(crate) config: WorkspaceConfig,
    pub(crate) url: String,
    pub(crate) org_id: String,
    /// The workspace's own OAuth signing key (`/oidc/jwks.json`).
    pub(crate) key: Arc<SigningKey>,
    /// True for a Databricks account host (then `config.name` is the account id).
    pub(crate) account_host: bool,
    /// The account (of a workspace: configured or derived from the tenant).
    pub(crate) account_id: String,
}

/// What a tenant segment of a URL designates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Authority {
    /// A configured tenant (its id).
    Tenant(String),
    Common,
    Organizations,
    /// `consumers` or the consumer tenant id.
    Consumers,
}

pub(crate) struct Shared {
    pub(crate) base_url: String,
    pub(crate) issuers: Issuers,
    pub(crate) tenants: RwLock<Vec<TenantState>>,
    pub(crate) consumer_key: Arc<SigningKey>,
    pub(crate) foreign_key: Arc<SigningKey>,
    pub(crate) consumer_in_tenant_sets: bool,
    pub(crate) workspaces: Vec<WorkspaceState>,
    /// Databricks account hosts.
    pub(crate) accounts: Vec<WorkspaceState>,
    pub(crate) counters: Mutex<HashMap<(Option<String>, String), u64>>,
    pub(crate) faults: Mutex<Vec<FaultRule>>,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Tenants as configured (apps, users) for the sign-in endpoints.
    pub(crate) tenant_configs: Vec<crate::config::TenantConfig>,
    /// Managed identities (IMDS / App Service endpoints).
    pub(crate) managed_identities: Vec<crate::config::ManagedIdentity>,
    /// Required `X-IDENTITY-HEADER` value of the App Service endpoint.
    pub(crate) identity_header: String,
    /// Device-code timing.
    pub(crate) device_config: crate::config::DeviceCodeConfig,
    /// Authorization codes, device codes and consents granted at run time.
    pub(crate) signin: Mutex<SigninState>,
    /// Databricks OAuth codes and refresh tokens issued at run time.
    pub(crate) dbx: Mutex<crate::dbx_oauth::DbxState>,
}

/// Codes and consents of a running emulator.
#[derive(Default)]
pub(crate) struct SigninState {
    pub(crate) codes: HashMap<String, AuthCode>,
    pub(crate) devices: Vec<DeviceCode>,
    /// (tenant id, client id, resource id) granted at run time.
    pub(crate) consents: Vec<(String, String, String)>,
}

/// An authorization code waiting to be redeemed.
pub(crate) struct AuthCode {
    pub(crate) tid: String,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) platform: Platform,
    pub(crate) challenge: Option<(String, String)>,
    pub(crate) upn: String,
    pub(crate) resource: Resource,
    pub(crate) expires: i64,
}

/// A device code waiting for its user's approval, then for its poll.
pub(crate) struct DeviceCode {
    pub(crate) device_code: String,
    pub(crate) user_code: String,
    pub(crate) tid: String,
    pub(crate) client_id: String,
    pub(crate) resource: Resource,
    pub(crate) expires: i64,
    pub(crate) interval: u64,
    pub(crate) last_poll: Option<Instant>,
    pub(crate) approved: Option<String>,
}

/// The resource (API) a sign-in asks a token for.
#[derive(Clone)]
pub(crate) struct Resource {
    /// Canonical application id, lower case.
    pub(crate) id: String,
    /// `aud` of the tokens: the resource as requested.
    pub(crate) aud: String,
    /// Scopes as requested (v2.0), echoed in the answer.
    pub(crate) scope: Option<String>,
}

/// Keys generated before the listeners are bound (generation is the slow part).
pub(crate) struct GeneratedKeys {
    pub(crate) tenants: Vec<TenantState>,
    pub(crate) consumer: Arc<SigningKey>,
    pub(crate) foreign: Arc<SigningKey>,
    /// One per workspace, in configuration order.
    pub(crate) workspaces: Vec<Arc<SigningKey>>,
    /// One per account host.
    pub(crate) accounts: Vec<Arc<SigningKey>>,
}

impl GeneratedKeys {
    pub(crate) fn generate(cfg: &EmulatorConfig) -> Result<Self, Error> {
        let mut tenants = Vec::with_capacity(cfg.tenants.len());
        for t in &cfg.tenants {
            let key = Arc::new(SigningKey::generate(ENTRA_CERT_CN)?);
            let mut app_keys = Vec::new();
            for app in &t.app_keys {
                app_keys.push((
                    app.to_ascii_lowercase(),
                    Arc::new(SigningKey::generate(ENTRA_CERT_CN)?),
                ));
            }
            tenants.push(TenantState {
                id: t.id.to_ascii_lowercase(),
                domain: t.domain.as_ref().map(|d| d.to_ascii_lowercase()),
                region: t.region_scope.clone(),
                keys: vec![KeyEntry {
                    key,
                    published: true,
                }],
                app_keys,
            });
        }
        let mut workspaces = Vec::with_capacity(cfg.workspaces.len());
        for _ in &cfg.workspaces {
            workspaces.push(Arc::new(SigningKey::generate("databricks-oidc")?));
        }
        let mut accounts = Vec::with_capacity(cfg.accounts.len());
        for _ in &cfg.accounts {
            accounts.push(Arc::new(SigningKey::generate("databricks-oidc")?));
        }
        Ok(Self {
            tenants,
            workspaces,
            accounts,
            consumer: Arc::new(SigningKey::generate(CONSUMER_CERT_CN)?),
            foreign: Arc::new(SigningKey::generate(ENTRA_CERT_CN)?),
        })
    }
}

impl Shared {
    pub(crate) fn new(
        cfg: &EmulatorConfig,
        keys: GeneratedKeys,
        base_url: String,
        workspace_urls: Vec<String>,
        account_urls: Vec<String>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let workspaces = cfg
            .workspaces
            .iter()
            .zip(workspace_urls)
            .zip(keys.workspaces.iter().cloned())
            .map(|((w, url), key)| WorkspaceState {
                key,
                account_host: false,
                account_id: w.account_id.clone().unwrap_or_else(|| {
                    derived_guid(&format!("account:{}", w.tenant_id.to_ascii_lowercase()))
                }),
                org_id: derived_digits(&format!("org:{}", w.name), 16),
                config: w.clone(),
                url,
            })
            .collect();
        let accounts = cfg
            .accounts
            .iter()
            .zip(account_urls)
            .zip(keys.accounts.iter().cloned())
            .map(|((a, url), key)| WorkspaceState {
                org_id: String::new(),
                config: a.as_host(),
                url,
                key,
                account_host: true,
                account_id: a.account_id.clone(),
            })
            .collect();
        Self {
            accounts,
            issuers: Issuers::new(&cfg.issuers, &base_url),
            base_url,
            tenants: RwLock::new(keys.tenants),
            consumer_key: keys.consumer,
            foreign_key: keys.foreign,
            consumer_in_tenant_sets: cfg.consumer_key_in_tenant_sets,
            workspaces,
            counters: Mutex::new(HashMap::new()),
            faults: Mutex::new(Vec::new()),
            shutdown,
            tenant_configs: cfg.tenants.clone(),
            managed_identities: cfg.managed_identities.clone(),
            identity_header: cfg.identity_header.clone(),
            device_config: cfg.device_code.clone(),
            signin: Mutex::new(SigninState::default()),
            dbx: Mutex::new(crate::dbx_oauth::DbxState::default()),
        }
    }

    pub(crate) fn workspace(&self, name: &str) -> Option<&WorkspaceState> {
        self.workspaces.iter().find(|w| w.config.name == name)
    }

    pub(crate) fn account(&self, id: &str) -> Option<&WorkspaceState> {
        self.accounts
            .iter()
            .find(|a| a.account_id.eq_ignore_ascii_case(id))
    }

    /// Resolves the tenant segment of a URL (GUID in any case, domain, or alias).
    pub(crate) fn authority(&self, segment: &str) -> Option<Authority> {
        let s = segment.to_ascii_lowercase();
        match s.as_str() {
            "common" => return Some(Authority::Common),
            "organizations" => return Some(Authority::Organizations),
            "consumers" | CONSUMER_TENANT_ID => return Some(Authority::Consumers),
            _ => {}
        }
        read(&self.tenants)
            .iter()
            .find(|t| t.id == s || t.domain.as_deref() == Some(s.as_str()))
            .map(|t| Authority::Tenant(t.id.clone()))
    }

    /// The `{tenantid}`-templated v2.0 issuer that Entra puts in key `issuer` members.
    pub(crate) fn templated_v2_issuer(&self) -> String {
        self.issuers.v2("{tenantid}")
    }

    /// The key set served at `…/discovery/keys` (v1) or `…/discovery/v2.0/keys` (v2).
    pub(crate) fn key_set(&self, auth: &Authority, v2: bool, appid: Option<&str>) -> Vec<Obj> {
        let tenants = read(&self.tenants);
        let template = self.templated_v2_issuer();
        let org_issuer = if v2 { Some(template.as_str()) } else { None };
        let consumer_issuer = self.issuers.v2(CONSUMER_TENANT_ID);
        let mut keys: Vec<Obj> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        let mut add = |k: &SigningKey, issuer: Option<&str>, keys: &mut Vec<Obj>| {
            if !seen.iter().any(|s| s == k.kid()) {
                seen.push(k.kid().to_owned());
                keys.push(k.jwk(issuer));
            }
        };
        let appid = appid.map(str::to_ascii_lowercase);

        let org_tenants: Vec<&TenantState> = match auth {
            Authority::Tenant(id) => tenants.iter().filter(|t| &t.id == id).collect(),
            Authority::Common | Authority::Organizations => tenants.iter().collect(),
            Authority::Consumers => Vec::new(),
        };
        // An app with app-specific keys gets only those keys.
        if let Some(app) = appid.as_deref() {
            let app_keys: Vec<&Arc<SigningKey>> = org_tenants
                .iter()
                .flat_map(|t| t.app_keys.iter())
                .filter(|(id, _)| id == app)
                .map(|(_, k)| k)
                .collect();
            if !app_keys.is_empty() {
                for k in app_keys {
                    add(k, org_issuer, &mut keys);
                }
                return keys;
            }
        }
        for t in &org_tenants {
            for k in t.published() {
                add(k, org_issuer, &mut keys);
            }
        }
        let with_consumer = v2
            && match auth {
                Authority::Tenant(_) => self.consumer_in_tenant_sets,
                Authority::Common | Authority::Consumers => true,
                Authority::Organizations => false,
            };
        if with_consumer {
            add(&self.consumer_key, Some(&consumer_issuer), &mut keys);
        }
        keys
    }

    /// Resolves a mint request to its tenant, issuer and key, then mints.
    pub(crate) fn mint(&self, req: &MintRequest) -> Result<String, Error> {
        let tenants = read(&self.tenants);
        let wanted = req.tenant.as_deref().map(str::to_ascii_lowercase);
        let consumer = wanted.as_deref() == Some(CONSUMER_TENANT_ID);
        let tenant = if consumer {
            None
        } else {
            let t = match wanted.as_deref() {
                Some(w) => tenants
                    .iter()
                    .find(|t| t.id == w || t.domain.as_deref() == Some(w)),
                None => tenants.first(),
            };
            Some(t.ok_or_else(|| {
                Error::UnknownTenant(wanted.clone().unwrap_or_else(|| "(none configured)".into()))
            })?)
        };
        let tid = tenant.map_or(CONSUMER_TENANT_ID, |t| t.id.as_str());
        let key: Option<&SigningKey> = match &req.key {
            KeyChoice::Current => match tenant {
                Some(t) => t.current().map(|k| &**k),
                None => Some(&*self.consumer_key),
            },
            KeyChoice::Previous => {
                let t = tenant.ok_or_else(|| Error::NoSuchKey("previous".into()))?;
                let n = t.keys.len();
                if n < 2 {
                    return Err(Error::NoSuchKey(format!(
                        "tenant {tid} has no previous key (rotate first)"
                    )));
                }
                t.keys.get(n - 2).map(|e| &*e.key)
            }
            KeyChoice::AppSpecific(app) => {
                let app = app.to_ascii_lowercase();
                let found = tenant
                    .and_then(|t| t.app_keys.iter().find(|(id, _)| *id == app))
                    .map(|(_, k)| &**k);
                Some(found.ok_or_else(|| {
                    Error::NoSuchKey(format!("no app-specific key for app {app} in tenant {tid}"))
                })?)
            }
            KeyChoice::Consumer => Some(&*self.consumer_key),
            KeyChoice::Foreign => Some(&*self.foreign_key),
            KeyChoice::Unsigned => None,
        };
        if key.is_none() && req.key != KeyChoice::Unsigned {
            return Err(Error::NoSuchKey(format!("tenant {tid} has no key")));
        }
        let issuer = req.issuer.clone().unwrap_or_else(|| match req.version {
            TokenVersion::V1 => self.issuers.v1(tid),
            TokenVersion::V2 => self.issuers.v2(tid),
        });
        let r = Resolved {
            tenant_id: tid,
            issuer,
            v1_issuer: self.issuers.v1(tid),
            key,
        };
        crate::mint::mint_with(req, &r)
    }

    pub(crate) fn count(&self, workspace: Option<&str>, path: &str) {
        let mut c = lock(&self.counters);
        *c.entry((workspace.map(str::to_owned), path.to_owned()))
            .or_insert(0) += 1;
    }
}

/// `{"keys":[…]}` with each key's members in Entra's order.
pub(crate) fn keys_doc_json(keys: &[Obj]) -> String {
    let parts: Vec<String> = keys.iter().map(Obj::to_json).collect();
    format!("{{\"keys\":[{}]}}", parts.join(","))
}

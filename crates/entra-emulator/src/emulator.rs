//! Starting, driving and stopping the emulator.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::fault::{Fault, FaultRule};
use crate::keys::{SigningKey, ENTRA_CERT_CN};
use crate::mint::{MintRequest, TokenVersion};
use crate::server::{authority_router, workspace_router, ConnMeta, KillableListener};
use crate::state::{keys_doc_json, lock, read, write, GeneratedKeys, KeyEntry, Shared};
use crate::Error;

/// Entry point: starts an emulator from an [`EmulatorConfig`].
#[derive(Debug)]
pub struct Emulator;

struct Launched {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

async fn bind(port: u16) -> Result<TcpListener, Error> {
    Ok(TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?)
}

/// One listener per port, in order, and the URL of each.
async fn bind_each(
    ports: impl Iterator<Item = u16>,
) -> Result<(Vec<TcpListener>, Vec<String>), Error> {
    let mut listeners = Vec::new();
    let mut urls = Vec::new();
    for port in ports {
        let l = bind(port).await?;
        urls.push(format!("http://127.0.0.1:{}", l.local_addr()?.port()));
        listeners.push(l);
    }
    Ok((listeners, urls))
}

async fn launch(config: EmulatorConfig) -> Result<Launched, Error> {
    config.validate()?;
    let cfg = config.clone();
    let keys = tokio::task::spawn_blocking(move || GeneratedKeys::generate(&cfg))
        .await
        .map_err(|e| Error::Runtime(format!("key generation task: {e}")))??;

    let authority = bind(config.port).await?;
    let base_url = format!("http://127.0.0.1:{}", authority.local_addr()?.port());
    let (ws_listeners, ws_urls) = bind_each(config.workspaces.iter().map(|w| w.port)).await?;
    let (acct_listeners, acct_urls) = bind_each(config.accounts.iter().map(|a| a.port)).await?;

    let (stop, stop_rx) = watch::channel(false);
    let shared = Arc::new(Shared::new(
        &config,
        keys,
        base_url,
        ws_urls,
        acct_urls,
        stop_rx.clone(),
    ));

    let mut tasks = Vec::new();
    tasks.push(serve(
        authority,
        authority_router(shared.clone()),
        stop_rx.clone(),
    ));
    for (w, l) in config.workspaces.iter().zip(ws_listeners) {
        tasks.push(serve(
            l,
            workspace_router(shared.clone(), w.name.clone()),
            stop_rx.clone(),
        ));
    }
    for (a, l) in config.accounts.iter().zip(acct_listeners) {
        tasks.push(serve(
            l,
            crate::server::account_router(shared.clone(), a.account_id.clone()),
            stop_rx.clone(),
        ));
    }
    Ok(Launched {
        shared,
        stop,
        tasks,
    })
}

fn serve(
    listener: TcpListener,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let app = router.into_make_service_with_connect_info::<ConnMeta>();
        let _ = axum::serve(KillableListener(listener), app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    })
}

impl Emulator {
    /// Generates the keys, binds every listener on 127.0.0.1 and starts serving on the
    /// current Tokio runtime (which must have the time and I/O drivers enabled).
    pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, Error> {
        let l = launch(config).await?;
        Ok(RunningEmulator {
            shared: l.shared,
            stop: l.stop,
            tasks: l.tasks,
            thread: None,
        })
    }

    /// Like [`Emulator::start`], but runs its own two-thread Tokio runtime on a
    /// dedicated thread, for synchronous tests and command-line programs. The runtime
    /// stops with [`RunningEmulator::shutdown`] or when the handle is dropped.
    pub fn start_blocking(config: EmulatorConfig) -> Result<RunningEmulator, Error> {
        type Ready = Result<(Arc<Shared>, watch::Sender<bool>), Error>;
        let (tx, rx) = std::sync::mpsc::channel::<Ready>();
        let thread = std::thread::Builder::new()
            .name("entra-emulator".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("entra-emulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(Error::Io(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    match launch(config).await {
                        Ok(l) => {
                            let mut stopped = l.stop.subscribe();
                            let _ = tx.send(Ok((l.shared, l.stop)));
                            let _ = stopped.wait_for(|s| *s).await;
                            join_all(l.tasks).await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(1));
            })?;
        match rx.recv() {
            Ok(Ok((shared, stop))) => Ok(RunningEmulator {
                shared,
                stop,
                tasks: Vec::new(),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(Error::Runtime(
                    "the emulator thread ended before starting".into(),
                ))
            }
        }
    }
}

async fn join_all(tasks: Vec<JoinHandle<()>>) {
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
}

/// A running emulator: URLs, token minting, request counters, key rotation and fault
/// injection. Dropping it stops the listeners.
pub struct RunningEmulator {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The App Service managed identity endpoint (`IDENTITY_ENDPOINT`):
    /// `<base_url>/msi/token`. The IMDS shape is at `<base_url>/metadata/identity/oauth2/token`.
    pub fn identity_endpoint(&self) -> String {
        format!("{}{}", self.shared.base_url, crate::msi::APP_SERVICE_PATH)
    }

    /// User codes of device-code requests waiting for the user.
    pub fn pending_user_codes(&self) -> Vec<String> {
        crate::signin::pending_user_codes(&self.shared)
    }

    /// Signs in as `upn` (default: the tenant's first user) on the device-code page and
    /// approves `user_code`. Returns the user signed in.
    pub fn approve_device_code(&self, user_code: &str, upn: Option<&str>) -> Result<String, Error> {
        crate::signin::approve_device(&self.shared, user_code, upn)
    }

    /// Grants consent for `client_id` to call `resource` in the tenant, as an
    /// administrator's "Grant admin consent" does.
    pub fn grant_consent(&self, tenant_id: &str, client_id: &str, resource: &str) {
        crate::signin::grant_consent(&self.shared, tenant_id, client_id, resource);
    }

    /// The authority, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// Ids of the configured tenants, in configuration order.
    pub fn tenant_ids(&self) -> Vec<String> {
        read(&self.shared.tenants)
            .iter()
            .map(|t| t.id.clone())
            .collect()
    }

    /// Names of the configured workspaces, in configuration order.
    pub fn workspace_names(&self) -> Vec<String> {
        self.shared
            .workspaces
            .iter()
            .map(|w| w.config.name.clone())
            .collect()
    }

    /// The host URL of a Databricks account host (`http://127.0.0.1:PORT`).
    pub fn account_url(&self, account_id: &str) -> Option<String> {
        self.shared.account(account_id).map(|a| a.url.clone())
    }

    /// The account a workspace belongs to.
    pub fn workspace_account(&self, name: &str) -> Option<String> {
        self.shared.workspace(name).map(|w| w.account_id.clone())
    }

    /// The host URL of a workspace (`http://127.0.0.1:PORT`, its own listener).
    pub fn workspace_url(&self, name: &str) -> Option<String> {
        self.shared.workspace(name).map(|w| w.url.clone())
    }

    /// The tenant id of a workspace.
    pub fn workspace_tenant(&self, name: &str) -> Option<String> {
        self.shared
            .workspace(name)
            .map(|w| w.config.tenant_id.clone())
    }

    /// The issuer of tokens of this version for the tenant (what `iss` holds and what
    /// the discovery document's `issuer` says).
    pub fn issuer(&self, tenant_id: &str, version: TokenVersion) -> String {
        let tid = tenant_id.to_ascii_lowercase();
        match version {
            TokenVersion::V1 => self.shared.issuers.v1(&tid),
            TokenVersion::V2 => self.shared.issuers.v2(&tid),
        }
    }

    /// URL of the discovery document of this version for a tenant (or alias).
    pub fn discovery_url(&self, tenant: &str, version: TokenVersion) -> String {
        match version {
            TokenVersion::V1 => format!(
                "{}/{tenant}/.well-known/openid-configuration",
                self.base_url()
            ),
            TokenVersion::V2 => {
                format!(
                    "{}/{tenant}/v2.0/.well-known/openid-configuration",
                    self.base_url()
                )
            }
        }
    }

    /// URL of the key set of this version for a tenant (or alias).
    pub fn jwks_url(&self, tenant: &str, version: TokenVersion) -> String {
        match version {
            TokenVersion::V1 => format!("{}/{tenant}/discovery/keys", self.base_url()),
            TokenVersion::V2 => format!("{}/{tenant}/discovery/v2.0/keys", self.base_url()),
        }
    }

    /// The key set the emulator currently serves at [`RunningEmulator::jwks_url`]
    /// (without `?appid=`), as JSON.
    pub fn jwks(&self, tenant: &str, version: TokenVersion) -> Result<serde_json::Value, Error> {
        let auth = self
            .shared
            .authority(tenant)
            .ok_or_else(|| Error::UnknownTenant(tenant.to_owned()))?;
        let text = keys_doc_json(
            &self
                .shared
                .key_set(&auth, version == TokenVersion::V2, None),
        );
        serde_json::from_str(&text).map_err(|e| Error::Runtime(e.to_string()))
    }

    /// The `kid` of the tenant's current signing key.
    pub fn current_kid(&self, tenant_id: &str) -> Option<String> {
        let tid = tenant_id.to_ascii_lowercase();
        read(&self.shared.tenants)
            .iter()
            .find(|t| t.id == tid)
            .and_then(|t| t.current().map(|k| k.kid().to_owned()))
    }

    /// Mints a token (see [`MintRequest`]).
    ///
    /// # Panics
    /// If the request names a tenant, app-specific key or previous key that does not
    /// exist; [`RunningEmulator::try_mint`] returns an error instead.
    pub fn mint(&self, req: &MintRequest) -> String {
        match self.shared.mint(req) {
            Ok(t) => t,
            Err(e) => panic!("entra-emulator: cannot mint {req:?}: {e}"),
        }
    }

    /// Mints a token, or says why it cannot.
    pub fn try_mint(&self, req: &MintRequest) -> Result<String, Error> {
        self.shared.mint(req)
    }

    /// Rotates a tenant's signing key: a new key becomes current (first in the key
    /// sets). With `keep_old` the previous key stays published (as during Entra's
    /// overlap period); without it, it is withdrawn, though tokens can still be minted
    /// with it ([`crate::KeyChoice::Previous`]). Returns the new `kid`.
    pub fn rotate_keys(&self, tenant_id: &str, keep_old: bool) -> Result<String, Error> {
        let tid = tenant_id.to_ascii_lowercase();
        if !read(&self.shared.tenants).iter().any(|t| t.id == tid) {
            return Err(Error::UnknownTenant(tid));
        }
        let key = Arc::new(SigningKey::generate(ENTRA_CERT_CN)?);
        let kid = key.kid().to_owned();
        let mut tenants = write(&self.shared.tenants);
        let t = tenants
            .iter_mut()
            .find(|t| t.id == tid)
            .ok_or_else(|| Error::UnknownTenant(tid.clone()))?;
        if !keep_old {
            for e in &mut t.keys {
                e.published = false;
            }
        }
        t.keys.push(KeyEntry {
            key,
            published: true,
        });
        Ok(kid)
    }

    /// Requests the authority listener has received for this exact path (no query),
    /// e.g. `/<tid>/discovery/keys`, faulted requests included.
    pub fn request_count(&self, path: &str) -> u64 {
        lock(&self.shared.counters)
            .get(&(None, path.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Requests a workspace listener has received for this exact path.
    pub fn workspace_request_count(&self, workspace: &str, path: &str) -> u64 {
        lock(&self.shared.counters)
            .get(&(Some(workspace.to_owned()), path.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Requests received by all listeners together.
    pub fn total_requests(&self) -> u64 {
        lock(&self.shared.counters).values().sum()
    }

    /// Every counter: keys are paths for the authority listener and
    /// `<workspace name><path>` for workspace listeners.
    pub fn request_counts(&self) -> std::collections::BTreeMap<String, u64> {
        lock(&self.shared.counters)
            .iter()
            .map(|((ws, path), n)| (format!("{}{path}", ws.as_deref().unwrap_or("")), *n))
            .collect()
    }

    /// Sets every counter back to zero.
    pub fn reset_request_counts(&self) {
        lock(&self.shared.counters).clear();
    }

    /// Makes every authority request whose path starts with `path_prefix` fail as
    /// `fault` says, until [`RunningEmulator::clear_faults`]. The latest matching fault
    /// wins.
    pub fn set_fault(&self, path_prefix: &str, fault: Fault) {
        self.push_fault(None, path_prefix, fault, None);
    }

    /// Like [`RunningEmulator::set_fault`] for the next `times` matching requests only.
    pub fn set_fault_times(&self, path_prefix: &str, fault: Fault, times: u32) {
        if times > 0 {
            self.push_fault(None, path_prefix, fault, Some(times));
        }
    }

    /// Like [`RunningEmulator::set_fault`] on a workspace's listener.
    pub fn set_workspace_fault(
        &self,
        workspace: &str,
        path_prefix: &str,
        fault: Fault,
    ) -> Result<(), Error> {
        if self.shared.workspace(workspace).is_none() {
            return Err(Error::UnknownWorkspace(workspace.to_owned()));
        }
        self.push_fault(Some(workspace.to_owned()), path_prefix, fault, None);
        Ok(())
    }

    fn push_fault(&self, workspace: Option<String>, prefix: &str, fault: Fault, n: Option<u32>) {
        lock(&self.shared.faults).push(FaultRule {
            workspace,
            prefix: prefix.to_owned(),
            fault,
            remaining: n,
        });
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Stops the listeners. For [`Emulator::start_blocking`] this waits for the runtime
    /// thread to end (in-flight stalls end at once); for [`Emulator::start`] it only
    /// signals (see [`RunningEmulator::shutdown_async`]).
    pub fn shutdown(self) {
        drop(self);
    }

    /// Stops the listeners and waits (up to 5 s per listener) for them to finish.
    pub async fn shutdown_async(mut self) {
        self.stop.send_replace(true);
        let tasks = std::mem::take(&mut self.tasks);
        join_all(tasks).await;
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn handle_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::RunningEmulator>();
        check::<crate::MintRequest>();
        check::<crate::Fault>();
    }
}

//! # entra-emulator
//!
//! A small local stand-in for Microsoft Entra ID and for Azure Databricks workspaces,
//! for tests and offline demos. Everything listens on 127.0.0.1 only.
//!
//! The **authority** listener serves, for every configured tenant (by GUID or domain)
//! and for the `common`, `organizations` and `consumers` aliases:
//!
//! * `GET /<tenant>/.well-known/openid-configuration` (v1.0) and
//!   `GET /<tenant>/v2.0/.well-known/openid-configuration` (v2.0): the discovery
//!   documents, member for member as Entra serves them, with Entra's real issuer strings
//!   and every endpoint URL on the emulator;
//! * `GET /<tenant>/discovery/keys` (v1.0) and `GET /<tenant>/discovery/v2.0/keys`
//!   (v2.0): the signing keys, each with `kty`, `use`, `kid`, `x5t`, `n`, `e`, `x5c`
//!   (and `issuer` in v2.0 sets), `?appid=` giving an application's own keys;
//! * Entra's `AADSTS90002` error for an unknown tenant;
//! * sign-in for the tenant's app registrations and users: the token endpoints (v1.0 and
//!   v2.0; client credentials with a secret or a certificate assertion, password,
//!   authorization code with PKCE, device code), the authorize endpoint (redirect-URI
//!   check, consent step, error redirects), the device-code endpoint and its
//!   verification page, and admin consent, each failure in Entra's error shape.
//!
//! Each **workspace** has its own listener (a plain host URL, as a real workspace has)
//! serving `GET /aad/auth` (302 to the tenant's authorize endpoint, from which the
//! Databricks SDKs learn the tenant) and `GET /api/2.0/preview/scim/v2/Me`, which
//! verifies the bearer token as Databricks does.
//!
//! Tests mint tokens with [`RunningEmulator::mint`], count requests, rotate keys and
//! inject faults at run time.
//!
//! ```no_run
//! use entra_emulator::{Emulator, EmulatorConfig, MintRequest, DEMO_USER, DEMO_WORKSPACE};
//!
//! let emu = Emulator::start_blocking(EmulatorConfig::default()).expect("start");
//! let token = emu.mint(&MintRequest::user(DEMO_USER));
//! let host = emu.workspace_url(DEMO_WORKSPACE).expect("configured workspace");
//! let me = format!("{host}/api/2.0/preview/scim/v2/Me");
//! // GET `me` with `Authorization: Bearer {token}` answers 200 with a SCIM user.
//! emu.shutdown();
//! ```
#![deny(missing_docs)]

mod batch;
mod client_cert;
mod config;
mod databricks;
mod dbx_oauth;
mod discovery;
mod emulator;
mod fault;
mod federation;
mod keys;
mod mint;
mod msi;
mod server;
mod signin;
mod state;
mod util;

pub use batch::{mint_batch, BatchOptions, BatchSummary};
pub use client_cert::ClientCertificate;
pub use config::{
    AccountConfig, AppRegistration, AppSecret, DeviceCodeConfig, EmulatorConfig, FederationPolicy,
    IdentityKind, IssuerConfig, ManagedIdentity, MemberKind, Mfa, OAuthSecret, PersonalAccessToken,
    Platform, RedirectUri, TenantConfig, UserAccount, WorkspaceConfig, WorkspaceMember,
    DATABRICKS_CLI_CLIENT_ID, DATABRICKS_CLI_REDIRECT, DEMO_APP_WITH_KEYS,
    DEMO_DATABRICKS_OAUTH_SECRET, DEMO_IDENTITY_HEADER, DEMO_MFA_USER, DEMO_PAT,
    DEMO_PUBLIC_APP_ID, DEMO_SP_APP_ID, DEMO_SP_SECRET, DEMO_TENANT_DOMAIN, DEMO_TENANT_ID,
    DEMO_UNCONSENTED_APP_ID, DEMO_USER, DEMO_USER_PASSWORD, DEMO_WORKSPACE,
};
pub use emulator::{Emulator, RunningEmulator};
pub use fault::{Fault, DEFAULT_OVERSIZED, MAX_OVERSIZED, MAX_STALL};
pub use federation::{ExternalIssuer, FederatedCredential, FEDERATION_AUDIENCE};
pub use mint::{
    HeaderOverrides, HeaderValue, KeyChoice, MintRequest, ServicePrincipalSubject, Subject,
    TimeSpec, TokenVersion, UserSubject, AZURE_CLI_APP_ID,
};

/// Application id of the Azure Databricks resource: the `aud` Databricks expects.
pub const DATABRICKS_RESOURCE_ID: &str = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";

/// Tenant id of Microsoft accounts (the "consumers" tenant); the `issuer` member of the
/// consumer signing key names it.
pub const CONSUMER_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Errors of the emulator's library API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is inconsistent.
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// Key generation or signing failed.
    #[error("cryptography failure: {0}")]
    Crypto(String),
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Certificate(String),
    /// Binding or serving failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// No such tenant is configured.
    #[error("unknown tenant '{0}'")]
    UnknownTenant(String),
    /// No such workspace is configured.
    #[error("unknown workspace '{0}'")]
    UnknownWorkspace(String),
    /// The requested signing key does not exist.
    #[error("no such signing key: {0}")]
    NoSuchKey(String),
    /// The emulator's runtime thread failed.
    #[error("emulator runtime: {0}")]
    Runtime(String),
}

//! Emulator configuration: tenants, their keys, issuers and Databricks workspaces.

use serde::{Deserialize, Serialize};

use crate::util::is_guid;
use crate::Error;

/// Tenant id of the demo tenant in [`EmulatorConfig::default`].
pub const DEMO_TENANT_ID: &str = "6f1d2c3b-4a59-4e68-9d7c-8b1a2f3e4d5c";
/// Domain name of the demo tenant in [`EmulatorConfig::default`].
pub const DEMO_TENANT_DOMAIN: &str = "contoso.onmicrosoft.com";
/// Name of the demo workspace in [`EmulatorConfig::default`].
pub const DEMO_WORKSPACE: &str = "adb-1234567890123456.7";
/// User principal name of the demo workspace user in [`EmulatorConfig::default`].
pub const DEMO_USER: &str = "alice@contoso.onmicrosoft.com";
/// Application (client) id of the demo workspace service principal in [`EmulatorConfig::default`].
pub const DEMO_SP_APP_ID: &str = "5b2c7d1e-9f3a-4c8b-a6d2-1e0f9c8b7a6d";
/// Application id that has app-specific signing keys in the demo tenant of
/// [`EmulatorConfig::default`] (served only with `?appid=`).
pub const DEMO_APP_WITH_KEYS: &str = "0d7e4f3a-2b1c-4e5d-9f8a-7b6c5d4e3f2a";
/// Client secret of the demo service principal's app registration ([`DEMO_SP_APP_ID`]).
/// A demo value, not a secret.
pub const DEMO_SP_SECRET: &str = "demo-sp-secret-not-a-real-one";
/// A public client app of the demo tenant: redirect URI `http://localhost` (mobile and
/// desktop), public client flows allowed, consented to Azure Databricks.
pub const DEMO_PUBLIC_APP_ID: &str = "3c2f8a91-5d6e-4b7a-8c9d-0e1f2a3b4c5d";
/// A public client app of the demo tenant that nobody consented to and whose users may
/// not consent (`AADSTS65001`).
pub const DEMO_UNCONSENTED_APP_ID: &str = "7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b";
/// Password of [`DEMO_USER`]. A demo value, not a secret.
pub const DEMO_USER_PASSWORD: &str = "demo-password-not-a-real-one";
/// A demo user whose sign-ins require MFA (`AADSTS50076` with the password grant).
pub const DEMO_MFA_USER: &str = "mfa.user@contoso.onmicrosoft.com";

/// Databricks OAuth secret of [`DEMO_SP_APP_ID`] in [`DEMO_WORKSPACE`] (M2M). A demo
/// value, not a secret.
pub const DEMO_DATABRICKS_OAUTH_SECRET: &str = "dose0000demo0000not0000a0000real0000";
/// A personal access token of [`DEMO_USER`] in [`DEMO_WORKSPACE`]. A demo value.
pub const DEMO_PAT: &str = "dapi0123456789abcdef0123456789abcdef";
/// The Databricks CLI's OAuth client id (U2M), registered on every workspace with the
/// redirect URI [`DATABRICKS_CLI_REDIRECT`].
pub const DATABRICKS_CLI_CLIENT_ID: &str = "databricks-cli";
/// The redirect URI the Databricks CLI and SDKs use for U2M sign-in.
pub const DATABRICKS_CLI_REDIRECT: &str = "http://localhost:8020";

/// How the emulator names token issuers.
///
/// By default the issuers are Entra's real strings (`https://sts.windows.net/<tid>/` for
/// v1.0 tokens and `https://login.microsoftonline.com/<tid>/v2.0` for v2.0 tokens), and the
/// discovery documents publish exactly those strings, while every URL that a client
/// fetches (`jwks_uri`, endpoints) points to the emulator on 127.0.0.1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IssuerConfig {
    /// Prefix of v1.0 issuers, without trailing slash (default `https://sts.windows.net`).
    pub v1_prefix: String,
    /// Prefix of v2.0 issuers and of the v2.0 key `issuer` members, without trailing
    /// slash (default `https://login.microsoftonline.com`).
    pub v2_prefix: String,
    /// When true, both prefixes are replaced by the emulator's own base URL
    /// (`http://127.0.0.1:PORT`), which is *not* what Entra does.
    pub loopback: bool,
}

impl Default for IssuerConfig {
    fn default() -> Self {
        Self::entra()
    }
}

impl IssuerConfig {
    /// Entra's real issuer strings (the default).
    pub fn entra() -> Self {
        Self {
            v1_prefix: "https://sts.windows.net".into(),
            v2_prefix: "https://login.microsoftonline.com".into(),
            loopback: false,
        }
    }

    /// Issuers on the emulator's own base URL: `<base_url>/<tid>/` and `<base_url>/<tid>/v2.0`.
    pub fn loopback() -> Self {
        Self {
            loopback: true,
            ..Self::entra()
        }
    }

    /// Issuers on other hosts, e.g. a sovereign cloud: `https://<v1_host>/<tid>/` and
    /// `https://<v2_host>/<tid>/v2.0`.
    pub fn hosts(v1_host: &str, v2_host: &str) -> Self {
        Self {
            v1_prefix: format!("https://{}", v1_host.trim_end_matches('/')),
            v2_prefix: format!("https://{}", v2_host.trim_end_matches('/')),
            loopback: false,
        }
    }
}

/// One Entra tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Tenant id (a GUID, lower case).
    pub id: String,
    /// Optional domain name (e.g. `contoso.onmicrosoft.com`), accepted in place of the id in URLs.
    #[serde(default)]
    pub domain: Option<String>,
    /// Optional display name (shown by the `serve` command only).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Value of `tenant_region_scope` in the discovery documents (default `NA`).
    #[serde(default = "default_region")]
    pub region_scope: String,
    /// Application ids that get their own app-specific signing key, published only on
    /// key URLs with `?appid=<id>` (as for apps using claims mapping).
    #[serde(default)]
    pub app_keys: Vec<String>,
    /// App registrations of the tenant (for the sign-in endpoints).
    #[serde(default)]
    pub apps: Vec<AppRegistration>,
    /// User accounts of the tenant (for the sign-in endpoints).
    #[serde(default)]
    pub users: Vec<UserAccount>,
    /// Whether the Azure Databricks enterprise application (service principal
    /// `2ff814a6-…`) exists in the tenant; without it, requests for Databricks tokens fail
    /// with `AADSTS500011` (default true).
    #[serde(default = "default_true")]
    pub databricks_installed: bool,
}

fn default_region() -> String {
    "NA".into()
}

impl TenantConfig {
    /// A tenant with the given id, no domain and no app-specific keys.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into().to_ascii_lowercase(),
            domain: None,
            display_name: None,
            region_scope: default_region(),
            app_keys: Vec::new(),
            apps: Vec::new(),
            users: Vec::new(),
            databricks_installed: true,
        }
    }

    /// Adds an app registration.
    pub fn app(mut self, app: AppRegistration) -> Self {
        self.apps.push(app);
        self
    }

    /// Adds a user account.
    pub fn user(mut self, user: UserAccount) -> Self {
        self.users.push(user);
        self
    }

    /// Removes the Azure Databricks service principal from the tenant (`AADSTS500011`).
    pub fn without_databricks(mut self) -> Self {
        self.databricks_installed = false;
        self
    }

    /// A tenant with a random GUID id.
    pub fn random() -> Self {
        Self::new(crate::util::random_guid())
    }

    /// Sets the domain name.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into().to_ascii_lowercase());
        self
    }

    /// Sets the display name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Adds an app-specific signing key for the application id.
    pub fn app_key(mut self, app_id: impl Into<String>) -> Self {
        self.app_keys.push(app_id.into().to_ascii_lowercase());
        self
    }
}

/// Kind of a workspace member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// A user, identified by `userName` (its UPN / e-mail).
    User,
    /// A service principal, identified by its Entra application (client) id.
    ServicePrincipal,
}

/// A user or service principal of a workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceMember {
    /// User or service principal.
    pub kind: MemberKind,
    /// `userName` (user) or `applicationId` (service principal); matched case-insensitively.
    pub name: String,
    /// SCIM `displayName`.
    pub display_name: String,
    /// SCIM `active`; an inactive member is refused with 403.
    #[serde(default = "default_true")]
    pub active: bool,
    /// Names of the workspace groups the member belongs to.
    #[serde(default)]
    pub groups: Vec<String>,
}

fn default_true() -> bool {
    true
}

impl WorkspaceMember {
    /// An active user.
    pub fn user(user_name: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            kind: MemberKind::User,
            name: user_name.into(),
            display_name: display_name.into(),
            active: true,
            groups: vec!["users".into()],
        }
    }

    /// An active service principal.
    pub fn service_principal(app_id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            kind: MemberKind::ServicePrincipal,
            name: app_id.into().to_ascii_lowercase(),
            display_name: display_name.into(),
            active: true,
            groups: Vec::new(),
        }
    }

    /// Marks the member as deactivated (`active: false`).
    pub fn inactive(mut self) -> Self {
        self.active = false;
        self
    }

    /// Adds a group membership.
    pub fn group(mut self, name: impl Into<String>) -> Self {
        self.groups.push(name.into());
        self
    }
}

/// An Azure Databricks workspace stand-in. Each workspace is served on its own
/// listener (its own port on 127.0.0.1), so its URL is a plain host URL like
/// `http://127.0.0.1:PORT`, as a real `https://adb-….azuredatabricks.net` is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    /// Host-like name, e.g. `adb-1234567890123456.7`.
    pub name: String,
    /// Id of the tenant the workspace belongs to (must be a configured tenant).
    pub tenant_id: String,
    /// Port to listen on (0 = any free port).
    #[serde(default)]
    pub port: u16,
    /// Users and service principals of the workspace.
    #[serde(default)]
    pub members: Vec<WorkspaceMember>,
    /// Whether the workspace serves Databricks OAuth (`/oidc/…`; default true). When
    /// false those paths answer 404, which the SDKs report as "OAuth is not supported
    /// for this host".
    #[serde(default = "default_true")]
    pub oauth: bool,
    /// OAuth secrets of the workspace's service principals (for M2M at `/oidc/v1/token`).
    #[serde(default)]
    pub oauth_secrets: Vec<OAuthSecret>,
    /// Personal access tokens (`dapi…`) known to the workspace.
    #[serde(default)]
    pub pats: Vec<PersonalAccessToken>,
    /// "Personal access tokens" switched off by the workspace admin: every PAT is refused.
    #[serde(default)]
    pub pats_disabled: bool,
    /// The Databricks account the workspace belongs to (default: derived from the tenant).
    /// Tokens of that account's host are accepted on the workspace.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Token federation policies (RFC 8693 exchange at `/oidc/v1/token`).
    #[serde(default)]
    pub federation_policies: Vec<FederationPolicy>,
    /// The workspace's Azure resource ID
    /// (`/subscriptions/…/resourceGroups/…/providers/Microsoft.Databricks/workspaces/…`),
    /// for the service principal management-token path.
    #[serde(default)]
    pub azure_resource_id: Option<String>,
    /// Application IDs of service principals with Contributor (or Owner) on the
    /// workspace resource: with an ARM token in `X-Databricks-Azure-SP-Management-Token`
    /// they are let in although not members, as Azure Databricks adds them.
    #[serde(default)]
    pub resource_contributors: Vec<String>,
}

/// A Databricks token federation policy: which external tokens may be exchanged for a
/// Databricks token, and for whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationPolicy {
    /// External issuer (`iss`), exact.
    pub issuer: String,
    /// Accepted audiences; empty = the Databricks account id.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Required subject (value of `subject_claim`); needed for a service principal policy.
    #[serde(default)]
    pub subject: Option<String>,
    /// Claim naming the Databricks user (default `sub`).
    #[serde(default = "default_subject_claim")]
    pub subject_claim: String,
    /// For a service principal federation policy: its application id (the exchange
    /// must then name it as `client_id`). Without it the claim value is a user's name.
    #[serde(default)]
    pub service_principal: Option<String>,
    /// The external issuer's key set (JWKS JSON text), inline.
    pub jwks: String,
}

fn default_subject_claim() -> String {
    "sub".into()
}

impl FederationPolicy {
    /// An account-wide style policy: tokens of `issuer` whose `sub` names a user.
    pub fn new(issuer: impl Into<String>, jwks: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audiences: Vec::new(),
            subject: None,
            subject_claim: default_subject_claim(),
            service_principal: None,
            jwks: jwks.into(),
        }
    }

    /// Sets the accepted audiences.
    pub fn audiences(mut self, audiences: &[&str]) -> Self {
        self.audiences = audiences.iter().map(|a| (*a).to_owned()).collect();
        self
    }

    /// Sets the claim naming the user.
    pub fn subject_claim(mut self, claim: impl Into<String>) -> Self {
        self.subject_claim = claim.into();
        self
    }

    /// Makes it a service principal policy for `app_id`, requiring `subject`.
    pub fn for_service_principal(
        mut self,
        app_id: impl Into<String>,
        subject: impl Into<String>,
    ) -> Self {
        self.service_principal = Some(app_id.into().to_ascii_lowercase());
        self.subject = Some(subject.into());
        self
    }
}

/// A Databricks account host (`accounts.azuredatabricks.net` stand-in) on its own
/// listener, serving `/oidc/accounts/<account_id>/…` and account SCIM `Me`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// The account id (a GUID).
    pub account_id: String,
    /// Port to listen on (0 = any free port).
    #[serde(default)]
    pub port: u16,
    /// Users and service principals of the account.
    #[serde(default)]
    pub members: Vec<WorkspaceMember>,
    /// OAuth secrets of the account's service principals.
    #[serde(default)]
    pub oauth_secrets: Vec<OAuthSecret>,
    /// Account-wide token federation policies (also apply on the account's workspaces).
    #[serde(default)]
    pub federation_policies: Vec<FederationPolicy>,
}

impl AccountConfig {
    /// An account with no members.
    pub fn new(account_id: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into().to_ascii_lowercase(),
            port: 0,
            members: Vec::new(),
            oauth_secrets: Vec::new(),
            federation_policies: Vec::new(),
        }
    }

    /// Adds an account-wide token federation policy.
    pub fn federation_policy(mut self, policy: FederationPolicy) -> Self {
        self.federation_policies.push(policy);
        self
    }

    /// Adds a member.
    pub fn member(mut self, member: WorkspaceMember) -> Self {
        self.members.push(member);
        self
    }

    /// Adds an OAuth secret for a service principal.
    pub fn oauth_secret(mut self, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.oauth_secrets.push(OAuthSecret::new(client_id, secret));
        self
    }

    /// The account seen as a host: a [`WorkspaceConfig`] named by the account id.
    pub(crate) fn as_host(&self) -> WorkspaceConfig {
        let mut w = WorkspaceConfig::new(self.account_id.clone(), "");
        w.port = self.port;
        w.members = self.members.clone();
        w.oauth_secrets = self.oauth_secrets.clone();
        w.account_id = Some(self.account_id.clone());
        w.federation_policies = self.federation_policies.clone();
        w
    }
}

/// A Databricks OAuth secret of a workspace service principal.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthSecret {
    /// The service principal's application id (a workspace member).
    pub client_id: String,
    /// The secret (Databricks' look like `dose` + hex).
    pub secret: String,
}

impl OAuthSecret {
    /// A secret of the service principal `client_id` (kept lower case).
    pub fn new(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into().to_ascii_lowercase(),
            secret: secret.into(),
        }
    }
}

impl std::fmt::Debug for OAuthSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSecret")
            .field("client_id", &self.client_id)
            .field("secret", &"***")
            .finish()
    }
}

/// A personal access token of a workspace member.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalAccessToken {
    /// The token (`dapi` + 32 hex digits).
    pub token: String,
    /// `name` of the member it belongs to.
    pub owner: String,
    /// Expiry (Unix seconds); `None` = never.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Revoked by its owner or an admin.
    #[serde(default)]
    pub revoked: bool,
}

impl std::fmt::Debug for PersonalAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonalAccessToken")
            .field("token", &"dapi***")
            .field("owner", &self.owner)
            .field("expires_at", &self.expires_at)
            .field("revoked", &self.revoked)
            .finish()
    }
}

impl PersonalAccessToken {
    /// A valid token that never expires.
    pub fn new(token: impl Into<String>, owner: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            owner: owner.into(),
            expires_at: None,
            revoked: false,
        }
    }

    /// Sets the expiry (Unix seconds).
    pub fn expires_at(mut self, at: i64) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Marks the token revoked.
    pub fn revoked(mut self) -> Self {
        self.revoked = true;
        self
    }
}

impl WorkspaceConfig {
    /// A workspace with no members.
    pub fn new(name: impl Into<String>, tenant_id: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            tenant_id: tenant_id.into().to_ascii_lowercase(),
            port: 0,
            members: Vec::new(),
            oauth: true,
            oauth_secrets: Vec::new(),
            pats: Vec::new(),
            pats_disabled: false,
            account_id: None,
            federation_policies: Vec::new(),
            azure_resource_id: None,
            resource_contributors: Vec::new(),
        }
    }

    /// Sets the workspace's Azure resource ID.
    pub fn azure_resource_id(mut self, id: impl Into<String>) -> Self {
        self.azure_resource_id = Some(id.into());
        self
    }

    /// Gives a service principal Contributor on the workspace resource.
    pub fn resource_contributor(mut self, app_id: impl Into<String>) -> Self {
        self.resource_contributors
            .push(app_id.into().to_ascii_lowercase());
        self
    }

    /// Adds a token federation policy.
    pub fn federation_policy(mut self, policy: FederationPolicy) -> Self {
        self.federation_policies.push(policy);
        self
    }

    /// Puts the workspace in a Databricks account.
    pub fn account(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into().to_ascii_lowercase());
        self
    }

    /// Adds a Databricks OAuth secret for a service principal (M2M).
    pub fn oauth_secret(mut self, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.oauth_secrets.push(OAuthSecret::new(client_id, secret));
        self
    }

    /// Adds a personal access token.
    pub fn pat(mut self, pat: PersonalAccessToken) -> Self {
        self.pats.push(pat);
        self
    }

    /// Switches personal access tokens off (the admin setting).
    pub fn disable_pats(mut self) -> Self {
        self.pats_disabled = true;
        self
    }

    /// Switches Databricks OAuth (`/oidc/…`) off.
    pub fn without_oauth(mut self) -> Self {
        self.oauth = false;
        self
    }

    /// Adds a member.
    pub fn member(mut self, member: WorkspaceMember) -> Self {
        self.members.push(member);
        self
    }

    /// Adds an active user.
    pub fn user(self, user_name: impl Into<String>, display_name: impl Into<String>) -> Self {
        self.member(WorkspaceMember::user(user_name, display_name))
    }

    /// Adds an active service principal.
    pub fn service_principal(
        self,
        app_id: impl Into<String>,
        display_name: impl Into<String>,
    ) -> Self {
        self.member(WorkspaceMember::service_principal(app_id, display_name))
    }

    /// Sets the port (0 = any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}

/// Everything the emulator serves. [`EmulatorConfig::default`] is a ready demo (one
/// tenant with an app-specific key, one workspace with a user and a service principal);
/// [`EmulatorConfig::empty`] starts from nothing. All listeners bind 127.0.0.1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default = "EmulatorConfig::empty", deny_unknown_fields)]
pub struct EmulatorConfig {
    /// Port of the Entra (authority) listener (0 = any free port).
    pub port: u16,
    /// Tenants.
    pub tenants: Vec<TenantConfig>,
    /// Databricks workspaces.
    pub workspaces: Vec<WorkspaceConfig>,
    /// Issuer naming.
    pub issuers: IssuerConfig,
    /// Whether the consumer (Microsoft-account) signing key also appears in each
    /// tenant's v2.0 key set (it always appears in `common` and `consumers` v2.0 sets).
    /// Default true, so that a token signed with it passes a plain signature check and
    /// only the key/issuer binding (the key's `issuer` member) can reject it.
    pub consumer_key_in_tenant_sets: bool,
    /// Device-code flow timing.
    pub device_code: DeviceCodeConfig,
    /// Databricks account hosts.
    pub accounts: Vec<AccountConfig>,
    /// Managed identities of "the machine" the emulator stands in for (IMDS and App
    /// Service endpoints on the authority listener).
    pub managed_identities: Vec<ManagedIdentity>,
    /// The value App Service puts in `IDENTITY_HEADER`, required as `X-IDENTITY-HEADER`.
    pub identity_header: String,
}

/// The value of [`EmulatorConfig::identity_header`] by default. A demo value.
pub const DEMO_IDENTITY_HEADER: &str = "emulator-identity-header-not-a-secret";

/// System- or user-assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// The resource's own identity (at most one).
    SystemAssigned,
    /// An identity resource assigned to the machine (several allowed).
    UserAssigned,
}

/// A managed identity: its service principal in a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedIdentity {
    /// System- or user-assigned.
    pub kind: IdentityKind,
    /// Tenant of its service principal.
    pub tenant_id: String,
    /// Client (application) id: `appid` of its tokens, `client_id` in requests.
    pub client_id: String,
    /// Object (principal) id: `oid` of its tokens, `object_id` in requests.
    pub object_id: String,
    /// Azure resource id (user-assigned), `msi_res_id` / `mi_res_id` in requests.
    #[serde(default)]
    pub resource_id: Option<String>,
}

impl ManagedIdentity {
    /// A system-assigned identity.
    pub fn system(tenant_id: &str, client_id: &str, object_id: &str) -> Self {
        Self {
            kind: IdentityKind::SystemAssigned,
            tenant_id: tenant_id.to_ascii_lowercase(),
            client_id: client_id.to_ascii_lowercase(),
            object_id: object_id.to_ascii_lowercase(),
            resource_id: None,
        }
    }

    /// A user-assigned identity with its resource id.
    pub fn user(tenant_id: &str, client_id: &str, object_id: &str, resource_id: &str) -> Self {
        Self {
            kind: IdentityKind::UserAssigned,
            resource_id: Some(resource_id.to_owned()),
            ..Self::system(tenant_id, client_id, object_id)
        }
    }
}

/// Timing of the device-code flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceCodeConfig {
    /// Polling interval announced, in seconds (Entra: 5).
    pub interval: u64,
    /// Lifetime of a device code, in seconds (Entra: 900).
    pub expires_in: u64,
}

impl Default for DeviceCodeConfig {
    fn default() -> Self {
        Self {
            interval: 5,
            expires_in: 900,
        }
    }
}

/// Platform of a registered redirect URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Web: the code must be redeemed with a client secret or certificate.
    Web,
    /// Single-page application.
    Spa,
    /// Mobile and desktop (public client): `http://localhost` matches any port.
    Public,
}

/// A registered redirect URI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectUri {
    /// The URI.
    pub uri: String,
    /// Its platform.
    pub platform: Platform,
}

/// A client secret of an app registration.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSecret {
    /// The secret value.
    pub value: String,
    /// Expiry (Unix seconds); `None` = never. A past instant makes it expired (`AADSTS7000222`).
    #[serde(default)]
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSecret")
            .field("value", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// An app registration (and its service principal) in a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppRegistration {
    /// Application (client) id.
    pub client_id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Client secrets.
    #[serde(default)]
    pub secrets: Vec<AppSecret>,
    /// Certificates (PEM) whose keys may sign client assertions.
    #[serde(default)]
    pub certificates: Vec<String>,
    /// Registered redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<RedirectUri>,
    /// "Allow public client flows" (ROPC and device code without a client credential).
    #[serde(default)]
    pub public_client_flows: bool,
    /// Resources (application ids, e.g. the Databricks resource) for which delegated
    /// consent has been granted.
    #[serde(default)]
    pub consented: Vec<String>,
    /// Whether users may consent on the consent page (default true); if false, an
    /// authorization request for a resource not consented fails with `AADSTS65001`.
    #[serde(default = "default_true")]
    pub user_consent: bool,
    /// Federated identity credentials (workload identity federation).
    #[serde(default)]
    pub federated_credentials: Vec<crate::federation::FederatedCredential>,
}

impl AppRegistration {
    /// An app with no credential, no redirect URI, no consent.
    pub fn new(client_id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into().to_ascii_lowercase(),
            display_name: display_name.into(),
            secrets: Vec::new(),
            certificates: Vec::new(),
            redirect_uris: Vec::new(),
            public_client_flows: false,
            consented: Vec::new(),
            user_consent: true,
            federated_credentials: Vec::new(),
        }
    }

    /// Adds a federated identity credential.
    pub fn federated_credential(mut self, cred: crate::federation::FederatedCredential) -> Self {
        self.federated_credentials.push(cred);
        self
    }

    /// Adds a client secret that never expires.
    pub fn secret(mut self, value: impl Into<String>) -> Self {
        self.secrets.push(AppSecret {
            value: value.into(),
            expires_at: None,
        });
        self
    }

    /// Adds a client secret with an expiry (Unix seconds).
    pub fn secret_expiring(mut self, value: impl Into<String>, expires_at: i64) -> Self {
        self.secrets.push(AppSecret {
            value: value.into(),
            expires_at: Some(expires_at),
        });
        self
    }

    /// Adds a certificate (PEM).
    pub fn certificate(mut self, pem: impl Into<String>) -> Self {
        self.certificates.push(pem.into());
        self
    }

    /// Adds a redirect URI.
    pub fn redirect_uri(mut self, uri: impl Into<String>, platform: Platform) -> Self {
        self.redirect_uris.push(RedirectUri {
            uri: uri.into(),
            platform,
        });
        self
    }

    /// Allows public client flows.
    pub fn public_client(mut self) -> Self {
        self.public_client_flows = true;
        self
    }

    /// Grants delegated consent for a resource.
    pub fn consent(mut self, resource: impl Into<String>) -> Self {
        self.consented.push(resource.into().to_ascii_lowercase());
        self
    }

    /// Requires admin consent (users cannot consent).
    pub fn admin_consent_only(mut self) -> Self {
        self.user_consent = false;
        self
    }
}

/// Multi-factor authentication state of a user, as seen by the password grant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mfa {
    /// No MFA needed.
    #[default]
    None,
    /// MFA required (`AADSTS50076` for the password grant).
    Required,
    /// MFA registration required (`AADSTS50079` for the password grant).
    Registration,
}

/// A user account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserAccount {
    /// User principal name.
    pub upn: String,
    /// Password (for the password grant).
    pub password: String,
    /// MFA state.
    #[serde(default)]
    pub mfa: Mfa,
}

impl std::fmt::Debug for UserAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserAccount")
            .field("upn", &self.upn)
            .field("password", &"***")
            .field("mfa", &self.mfa)
            .finish()
    }
}

impl UserAccount {
    /// A user with a password and no MFA.
    pub fn new(upn: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            upn: upn.into().to_ascii_lowercase(),
            password: password.into(),
            mfa: Mfa::None,
        }
    }

    /// Sets the MFA state.
    pub fn mfa(mut self, mfa: Mfa) -> Self {
        self.mfa = mfa;
        self
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self::empty()
            .tenant(
                TenantConfig::new(DEMO_TENANT_ID)
                    .domain(DEMO_TENANT_DOMAIN)
                    .display_name("Contoso")
                    .app_key(DEMO_APP_WITH_KEYS)
                    .app(AppRegistration::new(DEMO_SP_APP_ID, "ci-pipeline").secret(DEMO_SP_SECRET))
                    .app(
                        AppRegistration::new(DEMO_PUBLIC_APP_ID, "entra-doctor demo")
                            .redirect_uri("http://localhost", Platform::Public)
                            .public_client()
                            .consent(crate::DATABRICKS_RESOURCE_ID),
                    )
                    .app(
                        AppRegistration::new(DEMO_UNCONSENTED_APP_ID, "new-internal-tool")
                            .redirect_uri("http://localhost", Platform::Public)
                            .public_client()
                            .admin_consent_only(),
                    )
                    .user(UserAccount::new(DEMO_USER, DEMO_USER_PASSWORD))
                    .user(UserAccount::new(DEMO_MFA_USER, DEMO_USER_PASSWORD).mfa(Mfa::Required)),
            )
            .workspace(
                WorkspaceConfig::new(DEMO_WORKSPACE, DEMO_TENANT_ID)
                    .member(WorkspaceMember::user(DEMO_USER, "Alice Example").group("admins"))
                    .service_principal(DEMO_SP_APP_ID, "ci-pipeline")
                    .oauth_secret(DEMO_SP_APP_ID, DEMO_DATABRICKS_OAUTH_SECRET)
                    .pat(PersonalAccessToken::new(DEMO_PAT, DEMO_USER)),
            )
    }
}

impl EmulatorConfig {
    /// No tenant, no workspace, Entra issuers, any free port.
    pub fn empty() -> Self {
        Self {
            port: 0,
            tenants: Vec::new(),
            workspaces: Vec::new(),
            issuers: IssuerConfig::entra(),
            consumer_key_in_tenant_sets: true,
            device_code: DeviceCodeConfig::default(),
            accounts: Vec::new(),
            managed_identities: Vec::new(),
            identity_header: DEMO_IDENTITY_HEADER.into(),
        }
    }

    /// Adds a Databricks account host.
    pub fn account(mut self, account: AccountConfig) -> Self {
        self.accounts.push(account);
        self
    }

    /// Adds a managed identity.
    pub fn managed_identity(mut self, mi: ManagedIdentity) -> Self {
        self.managed_identities.push(mi);
        self
    }

    /// Sets the device-code timing.
    pub fn device_code(mut self, interval: u64, expires_in: u64) -> Self {
        self.device_code = DeviceCodeConfig {
            interval,
            expires_in,
        };
        self
    }

    /// Parses a JSON configuration (the shape of this struct; see the README).
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let cfg: Self =
            serde_json::from_str(text).map_err(|e| Error::Config(format!("config JSON: {e}")))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Sets the authority port (0 = any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Adds a tenant.
    pub fn tenant(mut self, tenant: TenantConfig) -> Self {
        self.tenants.push(tenant);
        self
    }

    /// Adds a workspace.
    pub fn workspace(mut self, workspace: WorkspaceConfig) -> Self {
        self.workspaces.push(workspace);
        self
    }

    /// Sets the issuer naming.
    pub fn issuers(mut self, issuers: IssuerConfig) -> Self {
        self.issuers = issuers;
        self
    }

    /// Uses issuers on the emulator's own base URL (see [`IssuerConfig::loopback`]).
    pub fn loopback_issuers(self) -> Self {
        self.issuers(IssuerConfig::loopback())
    }

    /// Sets whether the consumer key appears in tenant v2.0 key sets.
    pub fn consumer_key_in_tenant_sets(mut self, yes: bool) -> Self {
        self.consumer_key_in_tenant_sets = yes;
        self
    }

    fn has_tenant(&self, id: &str) -> bool {
        self.tenants.iter().any(|t| t.id.eq_ignore_ascii_case(id))
    }

    /// Checks ids and references: tenant ids are unique GUIDs, workspaces are uniquely
    /// named and belong to configured tenants.
    pub fn validate(&self) -> Result<(), Error> {
        let mut seen = std::collections::HashSet::new();
        for t in &self.tenants {
            if !is_guid(&t.id) {
                return Err(Error::Config(format!("tenant id '{}' is not a GUID", t.id)));
            }
            if t.id.eq_ignore_ascii_case(crate::CONSUMER_TENANT_ID) {
                return Err(Error::Config(
                    "the consumer tenant is built in; do not configure it".into(),
                ));
            }
            if !seen.insert(t.id.to_ascii_lowercase()) {
                return Err(Error::Config(format!("tenant '{}' configured twice", t.id)));
            }
            for app in &t.app_keys {
                if app.is_empty() {
                    return Err(Error::Config("empty app id in app_keys".into()));
                }
            }
        }
        let mut accounts = std::collections::HashSet::new();
        for a in &self.accounts {
            if !is_guid(&a.account_id) || !accounts.insert(a.account_id.to_ascii_lowercase()) {
                return Err(Error::Config(format!(
                    "account id '{}' is not a GUID or is configured twice",
                    a.account_id
                )));
            }
        }
        for mi in &self.managed_identities {
            if !self.has_tenant(&mi.tenant_id) {
                return Err(Error::Config(format!(
                    "managed identity '{}' refers to unknown tenant '{}'",
                    mi.client_id, mi.tenant_id
                )));
            }
        }
        if self
            .managed_identities
            .iter()
            .filter(|m| m.kind == IdentityKind::SystemAssigned)
            .count()
            > 1
        {
            return Err(Error::Config(
                "at most one system-assigned managed identity".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for w in &self.workspaces {
            if w.name.is_empty() || w.name.contains('/') {
                return Err(Error::Config(format!("bad workspace name '{}'", w.name)));
            }
            if !names.insert(w.name.clone()) {
                return Err(Error::Config(format!(
                    "workspace '{}' configured twice",
                    w.name
                )));
            }
            if !self.has_tenant(&w.tenant_id) {
                return Err(Error::Config(format!(
                    "workspace '{}' refers to unknown tenant '{}'",
                    w.name, w.tenant_id
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_json_round_trips() {
        let cfg = EmulatorConfig::default();
        cfg.validate().expect("valid");
        let text = serde_json::to_string(&cfg).expect("json");
        assert_eq!(EmulatorConfig::from_json(&text).expect("parse"), cfg);
        let minimal = EmulatorConfig::from_json(
            r#"{"tenants":[{"id":"11111111-2222-4333-8444-555555555555"}]}"#,
        )
        .expect("minimal");
        assert_eq!(minimal.tenants[0].region_scope, "NA");
        assert!(minimal.workspaces.is_empty());
    }

    #[test]
    fn readme_config_example_parses() {
        let readme = include_str!("../README.md");
        let section = readme
            .split("### Configuration file")
            .nth(1)
            .expect("section");
        let block = section
            .split("```json")
            .nth(1)
            .and_then(|b| b.split("```").next())
            .expect("json block");
        let cfg = EmulatorConfig::from_json(block).expect("README example is valid");
        assert_eq!(cfg.workspaces[0].members.len(), 3);
        assert!(!cfg.workspaces[0].members[1].active);
        assert_eq!(cfg.tenants[0].region_scope, "EU");
    }

    #[test]
    fn rejects_bad_references() {
        let bad = EmulatorConfig::empty().workspace(WorkspaceConfig::new("w", DEMO_TENANT_ID));
        assert!(bad.validate().is_err());
        let bad = EmulatorConfig::empty().tenant(TenantConfig::new("contoso"));
        assert!(bad.validate().is_err());
    }
}

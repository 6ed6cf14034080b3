//! Token minting: what a test asks for ([`MintRequest`]) and how a token that looks like
//! an Entra access token is put together.

use serde_json::Value;

use crate::keys::SigningKey;
use crate::util::{b64url, derived_b64, derived_guid, now_secs, random_bytes, Obj};
use crate::{Error, DATABRICKS_RESOURCE_ID};

/// Application id of the Azure CLI, the default client of user tokens (`appid` / `azp`).
pub const AZURE_CLI_APP_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// Access-token format version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenVersion {
    /// v1.0: `iss` `https://sts.windows.net/<tid>/`, `ver` `1.0`, header with `x5t` and `kid`.
    #[default]
    V1,
    /// v2.0: `iss` `https://login.microsoftonline.com/<tid>/v2.0`, `ver` `2.0`, header with `kid`.
    V2,
}

/// A point in time for `iat`, `nbf` or `exp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSpec {
    /// Seconds since the Unix epoch.
    At(i64),
    /// Seconds relative to the moment of minting (negative = in the past).
    FromNow(i64),
}

impl TimeSpec {
    fn resolve(self, now: i64) -> i64 {
        match self {
            Self::At(t) => t,
            Self::FromNow(d) => now.saturating_add(d),
        }
    }
}

/// Who the token is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A user (delegated token): `upn`, `unique_name`, names, `scp`.
    User(UserSubject),
    /// A service principal (application token): `appid`/`azp` is its application id,
    /// `idtyp` is `app`, no `upn` or `scp`.
    ServicePrincipal(ServicePrincipalSubject),
}

/// A user subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSubject {
    /// User principal name (`upn`, `unique_name`, v2.0 `preferred_username`).
    pub upn: String,
    /// `given_name` (default: from the UPN's local part).
    pub given_name: Option<String>,
    /// `family_name` (default: from the UPN's local part, or `User`).
    pub family_name: Option<String>,
    /// `name` (default: given name and family name).
    pub name: Option<String>,
    /// Object id (default: derived from tenant and UPN, so stable).
    pub oid: Option<String>,
    /// Client application id (`appid`/`azp`; default the Azure CLI's).
    pub client_app_id: String,
    /// Delegated scopes (`scp`; default `user_impersonation`).
    pub scp: String,
}

/// A service-principal subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePrincipalSubject {
    /// Application (client) id (`appid` / `azp`).
    pub app_id: String,
    /// Object id of the service principal (default: derived, stable).
    pub oid: Option<String>,
}

/// Which key signs the token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum KeyChoice {
    /// The tenant's current key.
    #[default]
    Current,
    /// The key before the current one (after [`crate::RunningEmulator::rotate_keys`];
    /// published or not, depending on how the rotation was asked for).
    Previous,
    /// The app-specific key of this application id (configured in
    /// [`crate::TenantConfig::app_keys`]); published only with `?appid=`.
    AppSpecific(String),
    /// The consumer (Microsoft-account) key, whose published `issuer` member is the
    /// consumer tenant's.
    Consumer,
    /// A key that is published nowhere.
    Foreign,
    /// No signature at all (empty third segment; use with `alg: none`).
    Unsigned,
}

/// How to treat one header member.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum HeaderValue {
    /// What Entra would put there (or nothing, where Entra puts nothing).
    #[default]
    Default,
    /// Leave the member out.
    Omit,
    /// Use this value.
    Set(String),
}

impl HeaderValue {
    fn apply(&self, o: &mut Obj, key: &str, default: Option<String>) {
        match self {
            Self::Default => {
                if let Some(v) = default {
                    o.push(key, v);
                }
            }
            Self::Omit => {}
            Self::Set(v) => {
                o.push(key, v.as_str());
            }
        }
    }
}

/// Changes to the JOSE header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderOverrides {
    /// `typ` (default `JWT`).
    pub typ: HeaderValue,
    /// `alg` (default `RS256`). Only the header changes: the signature stays RS256
    /// unless [`KeyChoice::Unsigned`] is used.
    pub alg: HeaderValue,
    /// `kid` (default the signing key's id).
    pub kid: HeaderValue,
    /// `x5t` (default the signing key's thumbprint for v1.0, absent for v2.0).
    pub x5t: HeaderValue,
    /// `nonce` (default absent; Microsoft Graph tokens carry one).
    pub nonce: HeaderValue,
    /// Further members, appended (or replacing a member of the same name).
    pub extra: Vec<(String, Value)>,
}

/// What token to mint. Build with [`MintRequest::user`] or
/// [`MintRequest::service_principal`] and the chainable setters; every field is public.
#[derive(Clone, Debug, PartialEq)]
pub struct MintRequest {
    /// Tenant id (default: the first configured tenant). The consumer tenant id
    /// `9188040d-6c67-4c5b-b112-36a304b66dad` is also accepted.
    pub tenant: Option<String>,
    /// v1.0 or v2.0 token.
    pub version: TokenVersion,
    /// `aud` (default the Azure Databricks resource id `2ff814a6-…`).
    pub audience: String,
    /// User or service principal.
    pub subject: Subject,
    /// `iat` (default 5 minutes ago, as Entra backdates).
    pub issued_at: Option<TimeSpec>,
    /// `nbf` (default = `iat`).
    pub not_before: Option<TimeSpec>,
    /// `exp` (default one hour from now).
    pub expires_at: Option<TimeSpec>,
    /// `iss` (default the tenant's issuer for the version).
    pub issuer: Option<String>,
    /// Claims to add or replace (in place, keeping Entra's member order).
    pub claims: Vec<(String, Value)>,
    /// Claims to leave out.
    pub remove_claims: Vec<String>,
    /// Header changes.
    pub header: HeaderOverrides,
    /// Signing key.
    pub key: KeyChoice,
}

impl MintRequest {
    /// A v1.0 Databricks token for a user, valid now.
    pub fn user(upn: impl Into<String>) -> Self {
        Self::new(Subject::User(UserSubject {
            upn: upn.into(),
            given_name: None,
            family_name: None,
            name: None,
            oid: None,
            client_app_id: AZURE_CLI_APP_ID.into(),
            scp: "user_impersonation".into(),
        }))
    }

    /// A v1.0 Databricks token for a service principal, valid now.
    pub fn service_principal(app_id: impl Into<String>) -> Self {
        Self::new(Subject::ServicePrincipal(ServicePrincipalSubject {
            app_id: app_id.into(),
            oid: None,
        }))
    }

    fn new(subject: Subject) -> Self {
        Self {
            tenant: None,
            version: TokenVersion::V1,
            audience: DATABRICKS_RESOURCE_ID.into(),
            subject,
            issued_at: None,
            not_before: None,
            expires_at: None,
            issuer: None,
            claims: Vec::new(),
            remove_claims: Vec::new(),
            header: HeaderOverrides::default(),
            key: KeyChoice::Current,
        }
    }

    /// Sets the tenant.
    pub fn tenant(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant = Some(tenant_id.into());
        self
    }

    /// Sets the token version.
    pub fn version(mut self, version: TokenVersion) -> Self {
        self.version = version;
        self
    }

    /// Makes it a v2.0 token.
    pub fn v2(self) -> Self {
        self.version(TokenVersion::V2)
    }

    /// Sets `aud`.
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.audience = aud.into();
        self
    }

    /// Sets `iss`.
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }

    /// Sets `iat`.
    pub fn issued_at(mut self, t: TimeSpec) -> Self {
        self.issued_at = Some(t);
        self
    }

    /// Sets `nbf`.
    pub fn not_before(mut self, t: TimeSpec) -> Self {
        self.not_before = Some(t);
        self
    }

    /// Sets `exp`.
    pub fn expires_at(mut self, t: TimeSpec) -> Self {
        self.expires_at = Some(t);
        self
    }

    /// Sets `exp` to `secs` seconds from now (negative: already expired).
    pub fn expires_in(self, secs: i64) -> Self {
        self.expires_at(TimeSpec::FromNow(secs))
    }

    /// An hour-long token that expired `secs_ago` seconds ago.
    pub fn expired(self, secs_ago: i64) -> Self {
        let exp = -secs_ago.abs();
        self.issued_at(TimeSpec::FromNow(exp - 3600))
            .expires_at(TimeSpec::FromNow(exp))
    }

    /// Adds or replaces a claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.push((name.into(), value.into()));
        self
    }

    /// Leaves a claim out.
    pub fn without_claim(mut self, name: impl Into<String>) -> Self {
        self.remove_claims.push(name.into());
        self
    }

    /// Chooses the signing key.
    pub fn key(mut self, key: KeyChoice) -> Self {
        self.key = key;
        self
    }

    /// Sets the header overrides.
    pub fn header(mut self, header: HeaderOverrides) -> Self {
        self.header = header;
        self
    }

    /// Sets the header `kid`.
    pub fn kid(mut self, kid: HeaderValue) -> Self {
        self.header.kid = kid;
        self
    }

    /// Sets the header `alg` (the signature stays RS256).
    pub fn alg(mut self, alg: impl Into<String>) -> Self {
        self.header.alg = HeaderValue::Set(alg.into());
        self
    }
}

/// Everything needed to put one token together.
pub(crate) struct Resolved<'a> {
    pub(crate) tenant_id: &'a str,
    pub(crate) issuer: String,
    /// The v1.0 issuer of the tenant (`idp` of v1.0 app tokens).
    pub(crate) v1_issuer: String,
    /// Signing key (None for unsigned tokens).
    pub(crate) key: Option<&'a SigningKey>,
}

fn random_b64<const N: usize>() -> String {
    b64url(&random_bytes::<N>())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn names_from_upn(upn: &str) -> (String, String) {
    let local = upn.split('@').next().unwrap_or(upn);
    let mut parts = local
        .split(['.', '_', '-'])
        .filter(|p| !p.is_empty())
        .map(capitalise);
    let given = parts.next().unwrap_or_else(|| "Test".into());
    let family = parts.next_back().unwrap_or_else(|| "Example".into());
    (given, family)
}

/// Builds the claims in Entra's member order.
pub(crate) fn build_claims(req: &MintRequest, r: &Resolved<'_>, now: i64) -> Obj {
    let exp = req.expires_at.map_or(now + 3600, |t| t.resolve(now));
    let default_iat = (now - 300).min(exp - 3600);
    let iat = req.issued_at.map_or(default_iat, |t| t.resolve(now));
    let nbf = req.not_before.map_or(iat, |t| t.resolve(now));
    let tid = r.tenant_id;

    let mut c = Obj::new();
    c.push("aud", req.audience.as_str())
        .push("iss", r.issuer.as_str())
        .push("iat", iat)
        .push("nbf", nbf)
        .push("exp", exp);
    let aio = format!("{}=", random_b64::<60>());
    let rh = format!("1.{}.", random_b64::<48>());
    let uti = random_b64::<16>();

    match (&req.subject, req.version) {
        (Subject::User(u), version) => {
            let (g, f) = names_from_upn(&u.upn);
            let given = u.given_name.clone().unwrap_or(g);
            let family = u.family_name.clone().unwrap_or(f);
            let name = u
                .name
                .clone()
                .unwrap_or_else(|| format!("{given} {family}"));
            let oid = u
                .oid
                .clone()
                .unwrap_or_else(|| derived_guid(&format!("oid:{tid}:{}", u.upn)));
            let sub = derived_b64(&format!("sub:{oid}:{}", u.client_app_id))
                .chars()
                .take(43)
                .collect::<String>();
            if version == TokenVersion::V1 {
                let puid: String = derived_guid(&format!("puid:{}", u.upn))
                    .replace('-', "")
                    .to_ascii_uppercase()
                    .chars()
                    .take(16)
                    .collect();
                c.push("acr", "1")
                    .push("aio", aio)
                    .push("amr", Value::Array(vec!["pwd".into(), "mfa".into()]))
                    .push("appid", u.client_app_id.as_str())
                    .push("appidacr", "0")
                    .push("family_name", family)
                    .push("given_name", given)
                    .push("ipaddr", "203.0.113.42")
                    .push("name", name)
                    .push("oid", oid)
                    .push("puid", puid)
                    .push("rh", rh)
                    .push("scp", u.scp.as_str())
                    .push("sub", sub)
                    .push("tid", tid)
                    .push("unique_name", u.upn.as_str())
                    .push("upn", u.upn.as_str())
                    .push("uti", uti)
                    .push("ver", "1.0");
            } else {
                c.push("aio", aio)
                    .push("azp", u.client_app_id.as_str())
                    .push("azpacr", "0")
                    .push("name", name)
                    .push("oid", oid)
                    .push("preferred_username", u.upn.as_str())
                    .push("rh", rh)
                    .push("scp", u.scp.as_str())
                    .push("sub", sub)
                    .push("tid", tid)
                    .push("uti", uti)
                    .push("ver", "2.0");
            }
        }
        (Subject::ServicePrincipal(sp), version) => {
            let oid = sp
                .oid
                .clone()
                .unwrap_or_else(|| derived_guid(&format!("sp-oid:{tid}:{}", sp.app_id)));
            // v1.0 names the client `appid` and adds `idp`; v2.0 names it `azp`.
            let v1 = version == TokenVersion::V1;
            let (app, acr, ver) = if v1 {
                ("appid", "appidacr", "1.0")
            } else {
                ("azp", "azpacr", "2.0")
            };
            c.push("aio", aio)
                .push(app, sp.app_id.as_str())
                .push(acr, "1");
            if v1 {
                c.push("idp", r.v1_issuer.as_str());
            }
            c.push("idtyp", "app")
                .push("oid", oid.as_str())
                .push("rh", rh)
                .push("sub", oid.as_str())
                .push("tid", tid)
                .push("uti", uti)
                .push("ver", ver);
        }
    }
    for (k, v) in &req.claims {
        c.set(k, v.clone());
    }
    for k in &req.remove_claims {
        c.remove(k);
    }
    c
}

/// Builds the JOSE header in Entra's member order: `typ`, `nonce`, `alg`, `x5t`, `kid`.
pub(crate) fn build_header(req: &MintRequest, key: Option<&SigningKey>) -> Obj {
    let kid = key.map(|k| k.kid().to_owned());
    let h = &req.header;
    let mut o = Obj::new();
    h.typ.apply(&mut o, "typ", Some("JWT".into()));
    h.nonce.apply(&mut o, "nonce", None);
    h.alg.apply(&mut o, "alg", Some("RS256".into()));
    let x5t_default = if req.version == TokenVersion::V1 {
        kid.clone()
    } else {
        None
    };
    h.x5t.apply(&mut o, "x5t", x5t_default);
    h.kid.apply(&mut o, "kid", kid);
    for (k, v) in &h.extra {
        o.set(k, v.clone());
    }
    o
}

/// `base64url(header).base64url(claims).base64url(signature)`.
pub(crate) fn encode_signed(
    header: &Obj,
    claims: &Obj,
    key: Option<&SigningKey>,
) -> Result<String, Error> {
    let mut token = String::with_capacity(1600);
    token.push_str(&b64url(header.to_json().as_bytes()));
    token.push('.');
    token.push_str(&b64url(claims.to_json().as_bytes()));
    let sig = match key {
        Some(k) => k.sign_rs256(token.as_bytes())?,
        None => Vec::new(),
    };
    token.push('.');
    token.push_str(&b64url(&sig));
    Ok(token)
}

/// Mints one token.
pub(crate) fn mint_with(req: &MintRequest, r: &Resolved<'_>) -> Result<String, Error> {
    let claims = build_claims(req, r, now_secs());
    let header = build_header(req, r.key);
    encode_signed(&header, &claims, r.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            names_from_upn("alice.smith@contoso.com"),
            ("Alice".into(), "Smith".into())
        );
        assert_eq!(
            names_from_upn("bob@contoso.com"),
            ("Bob".into(), "Example".into())
        );
    }

    #[test]
    fn claims_order_and_overrides() {
        let req = MintRequest::user("alice@contoso.com")
            .claim("scp", "all")
            .without_claim("ipaddr")
            .expired(120);
        let r = Resolved {
            tenant_id: "t",
            issuer: "https://sts.windows.net/t/".into(),
            v1_issuer: "https://sts.windows.net/t/".into(),
            key: None,
        };
        let c = build_claims(&req, &r, 10_000);
        let keys: Vec<&str> = c.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(&keys[..5], &["aud", "iss", "iat", "nbf", "exp"]);
        assert!(!keys.contains(&"ipaddr"));
        assert_eq!(c.get("scp"), Some(&Value::from("all")));
        assert_eq!(c.get("exp"), Some(&Value::from(10_000 - 120)));
        assert_eq!(c.get("iat"), Some(&Value::from(10_000 - 120 - 3600)));
        let h = build_header(&req.clone().v2(), None);
        assert_eq!(h.to_json(), r#"{"typ":"JWT","alg":"RS256"}"#);
    }
}

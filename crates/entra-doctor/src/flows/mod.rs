//! Getting a token with the real flows: client credentials (secret or
//! certificate), username and password, authorization code with PKCE on a
//! loopback redirect, device code, and the Azure CLI.
//!
//! Each flow is a function over [`Http`], a small client: no redirects
//! followed, connect and overall timeouts, a bound on the body. A flow ends
//! with a [`TokenResponse`], or with a [`FlowError`]: `Refused` carries the
//! answer Entra gave (for `explain`), `Failed` a local problem.

pub mod assertion;
pub mod azcli;
pub mod cache;
pub mod databricks;
pub mod dbx_federation;
pub mod device;
pub mod federated;
pub mod loopback;
pub mod msi;
pub mod secret;
pub mod settings;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::flows::secret::Secret;

/// Bound on an answer body: the same as every other HTTP answer.
pub use crate::net::http::MAX_BODY;
/// The Azure Databricks resource (application id).
pub use entra_token::catalogue::resources::AZURE_DATABRICKS as DATABRICKS_RESOURCE;

/// How a flow ended without a token.
#[derive(Debug)]
pub enum FlowError {
    /// Entra (or `az`) said no; `body` is what it said.
    Refused {
        url: String,
        status: Option<u16>,
        body: String,
    },
    /// Something else: network, local files, timeouts.
    Failed(String),
}

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlowError::Refused {
                url,
                status: Some(s),
                ..
            } => write!(f, "{url} answered {s}"),
            FlowError::Refused {
                url, status: None, ..
            } => write!(f, "{url} refused"),
            FlowError::Failed(m) => f.write_str(m),
        }
    }
}

/// What is asked for: a v1.0 `resource` or a v2.0 `scope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    V1 { resource: String },
    V2 { scope: String },
}

impl Target {
    /// From `--resource`, `--scope` and `--v2`; Azure Databricks by default.
    pub fn new(resource: Option<&str>, scope: Option<&str>, v2: bool) -> Target {
        match (scope, resource) {
            (Some(s), _) => Target::V2 {
                scope: s.to_owned(),
            },
            (None, r) if v2 => Target::V2 {
                scope: format!(
                    "{}/.default",
                    r.unwrap_or(DATABRICKS_RESOURCE).trim_end_matches('/')
                ),
            },
            (None, r) => Target::V1 {
                resource: r.unwrap_or(DATABRICKS_RESOURCE).to_owned(),
            },
        }
    }

    pub fn is_v2(&self) -> bool {
        matches!(self, Target::V2 { .. })
    }

    /// The resource (for `explain` and `az`): the scope without its last part.
    pub fn resource(&self) -> String {
        match self {
            Target::V1 { resource } => resource.clone(),
            Target::V2 { scope } => {
                let first = scope.split_whitespace().next().unwrap_or("");
                match first.rsplit_once('/') {
                    Some((r, _)) if !r.is_empty() => r.to_owned(),
                    _ => first.to_owned(),
                }
            }
        }
    }

    fn add_to(&self, form: &mut Vec<(String, String)>) {
        match self {
            Target::V1 { resource } => form.push(("resource".into(), resource.clone())),
            Target::V2 { scope } => form.push(("scope".into(), scope.clone())),
        }
    }
}

/// Where the requests go.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `https://login.microsoftonline.com` (or a loopback emulator).
    pub authority: String,
    /// Tenant id, domain, or `organizations`.
    pub tenant: String,
}

impl Endpoint {
    fn path(&self, target: &Target, v1: &str, v2: &str) -> String {
        let p = if target.is_v2() { v2 } else { v1 };
        format!("{}/{}/oauth2/{p}", self.authority, self.tenant)
    }
    pub fn token_url(&self, target: &Target) -> String {
        self.path(target, "token", "v2.0/token")
    }
    pub fn authorize_url(&self, target: &Target) -> String {
        self.path(target, "authorize", "v2.0/authorize")
    }
    pub fn devicecode_url(&self, target: &Target) -> String {
        self.path(target, "devicecode", "v2.0/devicecode")
    }
}

/// A token, as the endpoint (or `az`) gave it.
#[derive(Clone)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    /// Unix seconds.
    pub expires_on: i64,
    pub tenant: Option<String>,
    pub subscription: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"***")
            .field("expires_on", &self.expires_on)
            .finish_non_exhaustive()
    }
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A number that Entra's v1.0 endpoints send as a string.
pub(crate) fn num(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl TokenResponse {
    fn from_json(m: &Map<String, Value>) -> Option<TokenResponse> {
        let access_token = m.get("access_token")?.as_str()?.to_owned();
        let expires_on = num(m.get("expires_on"))
            .or_else(|| num(m.get("expires_in")).map(|s| now() + s))
            .unwrap_or_else(now);
        Some(TokenResponse {
            access_token,
            token_type: m
                .get("token_type")
                .and_then(Value::as_str)
                .unwrap_or("Bearer")
                .to_owned(),
            expires_on,
            tenant: None,
            subscription: None,
        })
    }
}

/// The HTTP client of the flows.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
}

impl Http {
    pub fn new(connect_timeout: Duration, timeout: Duration) -> Result<Http, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .user_agent(concat!("entra-doctor/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Http { client })
    }

    async fn read(
        url: &str,
        mut r: reqwest::Response,
    ) -> Result<(u16, Vec<u8>, Option<String>), FlowError> {
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = r
            .chunk()
            .await
            .map_err(|e| FlowError::Failed(format!("{url}: {}", chain(&e))))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(FlowError::Failed(format!(
                    "{url}: the answer is over {MAX_BODY} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body, location))
    }

    /// POSTs a form; the answer's status and body.
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(String, String)],
    ) -> Result<(u16, Vec<u8>), FlowError> {
        let r = self
            .client
            .post(url)
            .form(form)
            .send()
            .await
            .map_err(|e| FlowError::Failed(format!("{url}: {}", chain(&e))))?;
        let (s, b, _) = Http::read(url, r).await?;
        Ok((s, b))
    }

    /// GETs a URL without following redirects: status, body, `Location`.
    pub async fn get(&self, url: &str) -> Result<(u16, Vec<u8>, Option<String>), FlowError> {
        let r = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| FlowError::Failed(format!("{url}: {}", chain(&e))))?;
        Http::read(url, r).await
    }

    /// GETs a URL with extra headers (marked sensitive: never logged), not
    /// following redirects: status, body, `Location`.
    pub async fn get_authorized(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>, Option<String>), FlowError> {
        let mut req = self.client.get(url);
        for (k, v) in headers {
            let mut value = reqwest::header::HeaderValue::from_str(v).map_err(|_| {
                FlowError::Failed(format!(
                    "{url}: the {k} header holds characters not allowed in HTTP"
                ))
            })?;
            value.set_sensitive(true);
            req = req.header(*k, value);
        }
        let r = req
            .send()
            .await
            .map_err(|e| FlowError::Failed(format!("{url}: {}", chain(&e))))?;
        Http::read(url, r).await
    }

    /// GETs as a browser would for the headless sign-in: with a `Cookie`
    /// header, and the `Set-Cookie` headers of the answer.
    pub async fn get_with_cookies(
        &self,
        url: &str,
        cookie: &str,
    ) -> Result<(u16, Vec<u8>, Option<String>, Vec<String>), FlowError> {
        let mut req = self.client.get(url);
        if !cookie.is_empty() {
            req = req.header(reqwest::header::COOKIE, cookie);
        }
        let r = req
            .send()
            .await
            .map_err(|e| FlowError::Failed(format!("{url}: {}", chain(&e))))?;
        let set: Vec<String> = r
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let (s, b, l) = Http::read(url, r).await?;
        Ok((s, b, l, set))
    }

    /// POSTs to a token endpoint: a token, or Entra's refusal.
    pub async fn token(
        &self,
        url: &str,
        form: &[(String, String)],
    ) -> Result<TokenResponse, FlowError> {
        let (status, body) = self.post_form(url, form).await?;
        let parsed: Option<Map<String, Value>> = serde_json::from_slice(&body).ok();
        match parsed.as_ref().and_then(TokenResponse::from_json) {
            Some(t) if (200..300).contains(&status) => Ok(t),
            _ => Err(FlowError::Refused {
                url: url.to_owned(),
                status: Some(status),
                body: String::from_utf8_lossy(&body).into_owned(),
            }),
        }
    }
}

/// The error and its sources, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

/// How the client proves who it is.
pub enum ClientCredential {
    Secret(Secret),
    Certificate(assertion::Certificate),
}

/// Client credentials: an application token, with a secret or a certificate.
pub async fn client_credentials(
    http: &Http,
    ep: &Endpoint,
    target: &Target,
    client_id: &str,
    cred: &ClientCredential,
) -> Result<TokenResponse, FlowError> {
    let url = ep.token_url(target);
    let mut form = vec![
        pair("grant_type", "client_credentials"),
        pair("client_id", client_id),
    ];
    add_credential(&mut form, cred, client_id, &url)?;
    target.add_to(&mut form);
    http.token(&url, &form).await
}

fn add_credential(
    form: &mut Vec<(String, String)>,
    cred: &ClientCredential,
    client_id: &str,
    url: &str,
) -> Result<(), FlowError> {
    match cred {
        ClientCredential::Secret(s) => form.push(pair("client_secret", s.expose())),
        ClientCredential::Certificate(c) => {
            let jwt = c.assertion(client_id, url).map_err(FlowError::Failed)?;
            form.push(pair(
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
            form.push(pair("client_assertion", &jwt));
        }
    }
    Ok(())
}

/// Username and password (ROPC), as a public client, or confidential with a credential.
pub async fn password(
    http: &Http,
    ep: &Endpoint,
    target: &Target,
    client_id: &str,
    cred: Option<&ClientCredential>,
    username: &str,
    password: &Secret,
) -> Result<TokenResponse, FlowError> {
    let url = ep.token_url(target);
    let mut form = vec![
        pair("grant_type", "password"),
        pair("client_id", client_id),
        pair("username", username),
        pair("password", password.expose()),
    ];
    if let Some(c) = cred {
        add_credential(&mut form, c, client_id, &url)?;
    }
    target.add_to(&mut form);
    http.token(&url, &form).await
}

/// Redeems an authorization code.
pub async fn redeem_code(
    http: &Http,
    ep: &Endpoint,
    target: &Target,
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<TokenResponse, FlowError> {
    let url = ep.token_url(target);
    let mut form = vec![
        pair("grant_type", "authorization_code"),
        pair("client_id", client_id),
        pair("code", code),
        pair("redirect_uri", redirect_uri),
        pair("code_verifier", verifier),
    ];
    target.add_to(&mut form);
    http.token(&url, &form).await
}

/// Random bytes, base64url.
pub(crate) fn random_b64(n: usize) -> Result<String, FlowError> {
    use base64::Engine as _;
    let mut b = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut b)
        .map_err(|_| FlowError::Failed("the system random number generator failed".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            Target::new(None, None, false),
            Target::V1 {
                resource: DATABRICKS_RESOURCE.into()
            }
        );
        assert_eq!(
            Target::new(None, None, true),
            Target::V2 {
                scope: format!("{DATABRICKS_RESOURCE}/.default")
            }
        );
        let t = Target::new(
            None,
            Some("https://management.core.windows.net//.default"),
            false,
        );
        assert_eq!(t.resource(), "https://management.core.windows.net/");
        let ep = Endpoint {
            authority: "https://login.microsoftonline.com".into(),
            tenant: "t".into(),
        };
        assert_eq!(
            ep.token_url(&t),
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        );
        assert_eq!(
            ep.devicecode_url(&Target::new(None, None, false)),
            "https://login.microsoftonline.com/t/oauth2/devicecode"
        );
    }
}

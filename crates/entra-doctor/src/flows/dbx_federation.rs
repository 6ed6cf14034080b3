//! Databricks token federation: an external JWT (a CI system's ID token,
//! another identity provider's token) exchanged for a Databricks token with
//! RFC 8693 at the workspace's `<host>/oidc/v1/token` or the account's
//! `<host>/oidc/accounts/<id>/v1/token`, under the account's federation
//! policies.
//!
//! The external token comes from where the Databricks SDKs read it: a file
//! (`file-oidc`: `oidc_token_filepath`), an environment variable (`env-oidc`:
//! `oidc_token_env`, default `DATABRICKS_OIDC_TOKEN`), or GitHub Actions
//! (`github-oidc`: `ACTIONS_ID_TOKEN_REQUEST_URL` with
//! `ACTIONS_ID_TOKEN_REQUEST_TOKEN`).
//!
//! Plain functions over [`Http`]: `auth`'s `env-oidc`, `file-oidc` and
//! `github-oidc` methods on a Databricks host call [`read_subject_token`]
//! then [`exchange`].

use std::path::PathBuf;

use entra_token::federation_policy::FederationPolicy;
use entra_token::KeySet;
use serde_json::{Map, Value};
use url::Url;

use crate::flows::databricks::OidcHost;
use crate::flows::secret::Secret;
use crate::flows::{FlowError, Http, TokenResponse};
use crate::net::databrickscfg::Env;

/// RFC 8693's grant type.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The subject token type of a JWT.
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
/// The variable `env-oidc` reads when `oidc_token_env` names none.
pub const DEFAULT_OIDC_TOKEN_ENV: &str = "DATABRICKS_OIDC_TOKEN";
/// The largest external token accepted, in bytes.
pub const MAX_SUBJECT_TOKEN: usize = entra_token::limits::MAX_TOKEN_BYTES;

/// What token federation needs of a host (a workspace or an account host,
/// [`OidcHost`]) beyond its token endpoint.
impl OidcHost {
    /// The audience the SDKs ask GitHub Actions for when `token_audience`
    /// is not set: the account ID on an account host, else the workspace's
    /// token endpoint.
    pub fn default_audience(&self) -> String {
        match &self.account_id {
            Some(a) => a.clone(),
            None => self.token_url(),
        }
    }

    /// "the workspace https://…" / "the account … at https://…".
    pub fn describe(&self) -> String {
        match &self.account_id {
            None => format!("the workspace {}", self.base),
            Some(a) => format!("the account {a} at {}", self.base),
        }
    }
}

/// Whether a host is a Databricks account host, as the SDKs tell
/// (`accounts.` or `accounts-dod.`): [`super::databricks::is_account_host`].
pub fn is_account_host(host: &Url) -> bool {
    super::databricks::is_account_host(host.as_str())
}

/// Where the external token is read.
#[derive(Debug, Clone)]
pub enum SubjectSource {
    /// A file (`--subject-token-file`, `oidc_token_filepath`); `from` names
    /// the setting.
    File { path: PathBuf, from: String },
    /// An environment variable (`env-oidc`).
    Env { var: String },
    /// GitHub Actions' ID token endpoint.
    GitHubActions {
        request_url: String,
        request_token: Secret,
        audience: String,
    },
}

impl SubjectSource {
    /// For messages.
    pub fn describe(&self) -> String {
        match self {
            SubjectSource::File { path, from } => format!("the file {} ({from})", path.display()),
            SubjectSource::Env { var } => format!("the environment variable {var}"),
            SubjectSource::GitHubActions { audience, .. } => format!(
                "GitHub Actions' ID token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL), audience '{audience}'"
            ),
        }
    }
}

/// The settings the source is chosen from (the resolver's values).
#[derive(Debug, Clone, Default)]
pub struct SourceSettings {
    /// `--subject-token-file`.
    pub file_flag: Option<PathBuf>,
    /// `oidc_token_env` (variable name) and its source.
    pub oidc_token_env: Option<String>,
    /// `oidc_token_filepath` and its source.
    pub oidc_token_filepath: Option<(String, String)>,
    /// `token_audience`: the audience asked of GitHub.
    pub token_audience: Option<String>,
}

impl SourceSettings {
    /// From the one settings resolver's values (`oidc_token_env`,
    /// `oidc_token_filepath`, `token_audience`), and a file flag if any.
    pub fn from_resolved(r: &crate::config::resolve::Resolved, file_flag: Option<PathBuf>) -> Self {
        SourceSettings {
            file_flag,
            oidc_token_env: r.get("oidc_token_env").map(str::to_owned),
            oidc_token_filepath: r.get("oidc_token_filepath").map(|p| {
                (
                    p.to_owned(),
                    r.value("oidc_token_filepath")
                        .map(|v| v.source.to_string())
                        .unwrap_or_default(),
                )
            }),
            token_audience: r.get("token_audience").map(str::to_owned),
        }
    }
}

/// Chooses where the external token comes from, in the SDKs' order: the
/// flag, `env-oidc` (the variable `oidc_token_env` names, default
/// `DATABRICKS_OIDC_TOKEN`), `file-oidc`, then GitHub Actions. `None`:
/// nothing is configured.
pub fn choose_source(s: &SourceSettings, host: &OidcHost, env: &dyn Env) -> Option<SubjectSource> {
    if let Some(p) = &s.file_flag {
        return Some(SubjectSource::File {
            path: p.clone(),
            from: "--subject-token-file".into(),
        });
    }
    let var = s
        .oidc_token_env
        .clone()
        .unwrap_or_else(|| DEFAULT_OIDC_TOKEN_ENV.to_owned());
    if env.var(&var).is_some() {
        return Some(SubjectSource::Env { var });
    }
    if let Some((p, from)) = &s.oidc_token_filepath {
        return Some(SubjectSource::File {
            path: PathBuf::from(p),
            from: from.clone(),
        });
    }
    if let (Some(url), Some(tok)) = (
        env.var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        env.var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) {
        return Some(SubjectSource::GitHubActions {
            request_url: url,
            request_token: Secret::new(tok),
            audience: s
                .token_audience
                .clone()
                .unwrap_or_else(|| host.default_audience()),
        });
    }
    None
}

fn one_token(text: &str, what: &str) -> Result<String, FlowError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FlowError::Failed(format!("{what} is empty")));
    }
    if t.len() > MAX_SUBJECT_TOKEN {
        return Err(FlowError::Failed(format!(
            "{what} is over {MAX_SUBJECT_TOKEN} bytes"
        )));
    }
    if t.split('.').count() != 3 || t.contains(char::is_whitespace) {
        return Err(FlowError::Failed(format!(
            "{what} does not hold a JWT (header.payload.signature)"
        )));
    }
    Ok(t.to_owned())
}

/// Reads the external token from its source.
pub async fn read_subject_token(
    http: &Http,
    src: &SubjectSource,
    env: &dyn Env,
) -> Result<String, FlowError> {
    match src {
        SubjectSource::File { path, .. } => {
            let bytes =
                crate::input_source::read_file(path, MAX_SUBJECT_TOKEN + 2, "the token file")
                    .map_err(|e| FlowError::Failed(e.to_string()))?;
            let text = String::from_utf8(bytes).map_err(|_| {
                FlowError::Failed(format!("the token file {} is not UTF-8", path.display()))
            })?;
            one_token(&text, &format!("the token file {}", path.display()))
        }
        SubjectSource::Env { var } => {
            let v = env.var(var).ok_or_else(|| {
                FlowError::Failed(format!("the environment variable {var} is not set"))
            })?;
            one_token(&v, &format!("the environment variable {var}"))
        }
        SubjectSource::GitHubActions {
            request_url,
            request_token,
            audience,
        } => github_id_token(http, request_url, request_token, audience).await,
    }
}

/// Asks GitHub Actions for an ID token: `GET <request URL>&audience=<aud>`
/// with `Authorization: Bearer <request token>`; the answer is
/// `{"value": "<jwt>"}`.
pub async fn github_id_token(
    http: &Http,
    request_url: &str,
    request_token: &Secret,
    audience: &str,
) -> Result<String, FlowError> {
    let mut url = Url::parse(request_url).map_err(|e| {
        FlowError::Failed(format!(
            "ACTIONS_ID_TOKEN_REQUEST_URL '{}' is not a URL: {e}",
            entra_token::text::clip(request_url, 80)
        ))
    })?;
    crate::net::http::check_url(&url)
        .map_err(|e| FlowError::Failed(format!("ACTIONS_ID_TOKEN_REQUEST_URL: {e}")))?;
    url.query_pairs_mut().append_pair("audience", audience);
    let shown = {
        let mut u = url.clone();
        u.set_query(None);
        u.to_string()
    };
    let bearer = format!("Bearer {}", request_token.expose());
    let (status, body, _) = http
        .get_authorized(
            url.as_str(),
            &[("Authorization", &bearer), ("Accept", "application/json")],
        )
        .await
        .map_err(|e| match e {
            FlowError::Failed(m) => FlowError::Failed(m.replace(url.as_str(), &shown)),
            other => other,
        })?;
    if !(200..300).contains(&status) {
        return Err(FlowError::Failed(format!(
            "GitHub's ID token endpoint {shown} answered HTTP {status}: {} (does the workflow have 'permissions: id-token: write'?)",
            crate::net::http::snippet(&body)
        )));
    }
    let obj: Map<String, Value> = serde_json::from_slice(&body).map_err(|_| {
        FlowError::Failed(format!(
            "GitHub's ID token endpoint {shown} did not answer JSON"
        ))
    })?;
    let v = obj.get("value").and_then(Value::as_str).ok_or_else(|| {
        FlowError::Failed(format!(
            "GitHub's ID token endpoint {shown} answered without 'value'"
        ))
    })?;
    one_token(v, "GitHub's ID token")
}

/// The exchange: `grant_type` token-exchange, `subject_token_type` JWT,
/// `scope` (default `all-apis`), the external token, and for a service
/// principal policy `client_id` (its application ID). The refusal carries
/// Databricks' answer for `explain`.
pub async fn exchange(
    http: &Http,
    host: &OidcHost,
    subject_token: &str,
    client_id: Option<&str>,
    scope: &str,
) -> Result<TokenResponse, FlowError> {
    let url = host.token_url();
    let mut form = vec![
        ("grant_type".to_owned(), TOKEN_EXCHANGE_GRANT.to_owned()),
        ("subject_token_type".to_owned(), JWT_TOKEN_TYPE.to_owned()),
        ("subject_token".to_owned(), subject_token.to_owned()),
        ("scope".to_owned(), scope.to_owned()),
    ];
    if let Some(c) = client_id.filter(|c| !c.is_empty()) {
        form.push(("client_id".to_owned(), c.to_owned()));
    }
    http.token(&url, &form).await
}

/// The keys of the policy's issuer: the policy's own `jwks_json`, else its
/// `jwks_uri`, else the issuer's OpenID discovery (`jwks_uri` of
/// `<issuer>/.well-known/openid-configuration`). With where they came from.
/// Only the policy's issuer is asked, never the token's.
pub async fn issuer_keys(
    http: &Http,
    policy: &FederationPolicy,
) -> Result<(KeySet, String), String> {
    if let Some(j) = &policy.jwks_json {
        let k = KeySet::parse(j.as_bytes())
            .map_err(|e| format!("the policy's jwks_json is not a key set: {e}"))?;
        return Ok((k, "the policy's jwks_json".into()));
    }
    let jwks_uri = match &policy.jwks_uri {
        Some(u) => u.clone(),
        None => {
            let issuer = policy.issuer.trim_end_matches('/');
            let disco = format!("{issuer}/.well-known/openid-configuration");
            let obj = get_json(http, &disco).await?;
            // OpenID Connect Discovery §4.3: the document is the issuer's own.
            let named = obj.get("issuer").and_then(Value::as_str).unwrap_or("");
            if named != policy.issuer {
                return Err(format!(
                    "{disco} names the issuer '{}', not the policy's '{}': its keys are not used",
                    entra_token::text::clip(named, 120),
                    policy.issuer
                ));
            }
            obj.get("jwks_uri")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{disco} has no jwks_uri"))?
        }
    };
    let url = Url::parse(&jwks_uri).map_err(|e| format!("jwks_uri '{jwks_uri}': {e}"))?;
    crate::net::http::check_url(&url)?;
    let (status, body, _) = http.get(&jwks_uri).await.map_err(|e| e.to_string())?;
    if !(200..300).contains(&status) {
        return Err(format!("{jwks_uri} answered HTTP {status}"));
    }
    let k = KeySet::parse(&body).map_err(|e| format!("{jwks_uri}: not a key set: {e}"))?;
    Ok((k, jwks_uri))
}

/// The workspace's account ID from its host metadata
/// (`<host>/.well-known/databricks-config`, as the SDKs read it).
pub async fn workspace_account_id(http: &Http, host: &OidcHost) -> Result<String, String> {
    let url = format!("{}/.well-known/databricks-config", host.base);
    let obj = get_json(http, &url).await?;
    obj.get("account_id")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("{url} names no account_id"))
}

async fn get_json(http: &Http, url: &str) -> Result<Map<String, Value>, String> {
    let u = Url::parse(url).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
    crate::net::http::check_url(&u)?;
    let (status, body, _) = http.get(url).await.map_err(|e| e.to_string())?;
    if !(200..300).contains(&status) {
        return Err(format!("{url} answered HTTP {status}"));
    }
    serde_json::from_slice(&body).map_err(|_| format!("{url} did not answer a JSON object"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::databrickscfg::test_env::FakeEnv;

    fn ws() -> OidcHost {
        OidcHost {
            base: "https://adb-1.2.azuredatabricks.net".into(),
            account_id: None,
        }
    }

    /// The token endpoints themselves: flows::databricks'
    /// `endpoints_of_workspace_and_account_hosts`.
    #[test]
    fn token_endpoints_of_workspace_and_account() {
        let a = OidcHost {
            base: "https://accounts.azuredatabricks.net".into(),
            account_id: Some("abc".into()),
        };
        assert_eq!(a.default_audience(), "abc");
        assert_eq!(ws().default_audience(), ws().token_url());
        assert!(is_account_host(
            &Url::parse("https://accounts.azuredatabricks.net").unwrap()
        ));
        assert!(!is_account_host(
            &Url::parse("https://adb-1.azuredatabricks.net").unwrap()
        ));
    }

    #[test]
    fn the_source_is_chosen_in_the_sdks_order() {
        let env = |vars: &[(&'static str, &str)]| FakeEnv {
            vars: vars.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            home: std::env::temp_dir(),
        };
        let gh = [
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:1/t?x=1"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "rt"),
        ];
        let s = SourceSettings::default();
        assert!(choose_source(&s, &ws(), &env(&[])).is_none());
        match choose_source(&s, &ws(), &env(&gh)) {
            Some(SubjectSource::GitHubActions { audience, .. }) => {
                assert_eq!(audience, ws().token_url())
            }
            other => panic!("{other:?}"),
        }
        let mut with_env = gh.to_vec();
        with_env.push(("DATABRICKS_OIDC_TOKEN", "a.b.c"));
        assert!(matches!(
            choose_source(&s, &ws(), &env(&with_env)),
            Some(SubjectSource::Env { var }) if var == "DATABRICKS_OIDC_TOKEN"
        ));
        let s = SourceSettings {
            file_flag: Some("/x".into()),
            ..SourceSettings::default()
        };
        assert!(matches!(
            choose_source(&s, &ws(), &env(&with_env)),
            Some(SubjectSource::File { .. })
        ));
    }

    #[test]
    fn a_subject_token_must_be_one_jwt() {
        assert!(one_token(" a.b.c\n", "x").is_ok());
        for bad in ["", "abc", "a.b", "a.b c.d"] {
            assert!(one_token(bad, "the input").is_err(), "{bad}");
        }
    }
}

//! Databricks OAuth, as the Databricks SDKs and CLI use it: the workspace's
//! (or the account's) own OAuth endpoints under `<host>/oidc`, client
//! credentials with a service principal's OAuth secret (M2M), refresh
//! tokens, and the Databricks CLI's U2M token cache
//! (`~/.databricks/token-cache.json`), which is read and never written.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::flows::loopback::{browser_code, AuthCodeOptions, Loopback};
use crate::flows::secret::Secret;
use crate::flows::{FlowError, Http, TokenResponse};

/// The Databricks CLI's public OAuth client.
pub const CLI_CLIENT_ID: &str = "databricks-cli";
/// The CLI's loopback redirect port (`http://localhost:8020`).
pub const CLI_REDIRECT_PORT: u16 = 8020;
/// The scopes of `databricks auth login`.
pub const U2M_SCOPES: &str = "all-apis offline_access";
/// The scope of M2M tokens, as the SDKs ask.
pub const M2M_SCOPE: &str = "all-apis";
/// Bound on the CLI's token cache file.
const MAX_CACHE_FILE: u64 = 1024 * 1024;

/// A workspace or an account host, as OAuth sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcHost {
    /// Scheme, host and port, no trailing slash (where requests go).
    pub base: String,
    /// The account, for an account host.
    pub account_id: Option<String>,
}

impl OidcHost {
    /// `<host>/oidc`, or `<host>/oidc/accounts/<id>` for an account host.
    pub fn oidc(&self) -> String {
        match &self.account_id {
            Some(a) => format!("{}/oidc/accounts/{a}", self.base),
            None => format!("{}/oidc", self.base),
        }
    }
    pub fn token_url(&self) -> String {
        format!("{}/v1/token", self.oidc())
    }
    pub fn authorize_url(&self) -> String {
        format!("{}/v1/authorize", self.oidc())
    }
}

/// Whether `host` is a Databricks account console host, as the SDKs say
/// (`accounts.` or `accounts-dod.`).
pub fn is_account_host(host: &str) -> bool {
    let netloc = host
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(host)
        .trim_start();
    netloc.starts_with("accounts.") || netloc.starts_with("accounts-dod.")
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

/// M2M: client credentials with a service principal's Databricks OAuth
/// secret, at the host's token endpoint.
pub async fn m2m(
    http: &Http,
    host: &OidcHost,
    client_id: &str,
    secret: &Secret,
    scope: &str,
) -> Result<TokenResponse, FlowError> {
    let form = vec![
        pair("grant_type", "client_credentials"),
        pair("client_id", client_id),
        pair("client_secret", secret.expose()),
        pair("scope", scope),
    ];
    http.token(&host.token_url(), &form).await
}

/// A refresh token redeemed at the host's token endpoint, as the CLI does.
pub async fn refresh(
    http: &Http,
    host: &OidcHost,
    client_id: &str,
    refresh_token: &Secret,
) -> Result<TokenResponse, FlowError> {
    let form = vec![
        pair("grant_type", "refresh_token"),
        pair("client_id", client_id),
        pair("refresh_token", refresh_token.expose()),
    ];
    http.token(&host.token_url(), &form).await
}

/// U2M as `databricks auth login` does it: authorization code with PKCE
/// at `<oidc>/v1/authorize` for the public client `client_id`, the code
/// caught on the loopback redirect and redeemed at the token endpoint.
pub async fn u2m(
    http: &Http,
    host: &OidcHost,
    client_id: &str,
    scopes: &str,
    lb: Loopback,
    opts: AuthCodeOptions,
    notify: &dyn Fn(&str),
) -> Result<TokenResponse, FlowError> {
    let mut url = url::Url::parse(&host.authorize_url())
        .map_err(|e| FlowError::Failed(format!("authorize URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &lb.redirect_uri)
        .append_pair("scope", scopes);
    let (code, verifier) = browser_code(url, &lb, &opts, notify).await?;
    let form = vec![
        pair("grant_type", "authorization_code"),
        pair("client_id", client_id),
        pair("code", &code),
        pair("redirect_uri", &lb.redirect_uri),
        pair("code_verifier", &verifier),
    ];
    http.token(&host.token_url(), &form).await
}

/// One entry of the CLI's token cache.
pub struct CachedToken {
    /// The key it was found under.
    pub key: String,
    pub access_token: String,
    pub refresh_token: Option<Secret>,
    /// Unix seconds, when the entry says.
    pub expires_on: Option<i64>,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("key", &self.key)
            .field("access_token", &"***")
            .field("expires_on", &self.expires_on)
            .finish_non_exhaustive()
    }
}

/// The CLI's token cache in `home`.
pub fn cache_path(home: &Path) -> PathBuf {
    home.join(".databricks").join("token-cache.json")
}

/// The keys the CLI stores a login under: the host (`https://<host>`, no
/// trailing slash) for a workspace, `<host>/oidc/accounts/<id>` for an
/// account; newer CLIs also key it by the profile's name.
pub fn cache_keys(host: &str, account_id: Option<&str>, profile: Option<&str>) -> Vec<String> {
    let mut h = host.trim_end_matches('/').to_owned();
    if !h.starts_with("http") {
        h = format!("https://{h}");
    }
    let mut keys = vec![match account_id {
        Some(a) => format!("{h}/oidc/accounts/{a}"),
        None => h,
    }];
    if let Some(p) = profile {
        keys.push(p.to_owned());
    }
    keys
}

/// Reads the CLI's token cache (version 1: `{"version":1,"tokens":{key:
/// {"access_token","token_type","refresh_token","expiry"}}}`) and finds the
/// first of `keys`. `Ok(None)`: the file is there but holds no login for
/// these keys.
pub fn read_cache(path: &Path, keys: &[String]) -> Result<Option<CachedToken>, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!("{shown} does not exist: no `databricks auth login` on this machine")
        } else {
            format!("cannot read {shown}: {e}")
        }
    })?;
    if meta.len() > MAX_CACHE_FILE {
        return Err(format!("{shown} is over {MAX_CACHE_FILE} bytes"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let doc: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|e| format!("{shown} is not JSON: {e}"))?;
    match doc.get("version").and_then(Value::as_i64) {
        Some(1) => {}
        v => {
            return Err(format!(
                "{shown} has version {}, the Databricks CLI's format is version 1",
                v.map(|n| n.to_string()).unwrap_or_else(|| "(none)".into())
            ))
        }
    }
    let Some(tokens) = doc.get("tokens").and_then(Value::as_object) else {
        return Err(format!("{shown} has no 'tokens' object"));
    };
    for key in keys {
        let Some(entry) = tokens.get(key).and_then(Value::as_object) else {
            continue;
        };
        let s = |k: &str| {
            entry
                .get(k)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let Some(access_token) = s("access_token") else {
            return Err(format!("{shown}: the entry '{key}' has no access_token"));
        };
        // Go's zero time ("0001-01-01T00:00:00Z") means "no expiry known".
        let expires_on = s("expiry")
            .and_then(|e| entra_token::timefmt::parse_instant(&e).ok())
            .filter(|t| *t > 0);
        return Ok(Some(CachedToken {
            key: key.clone(),
            access_token,
            refresh_token: s("refresh_token").map(Secret::new),
            expires_on,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_of_workspace_and_account_hosts() {
        let w = OidcHost {
            base: "https://adb-1.2.azuredatabricks.net".into(),
            account_id: None,
        };
        assert_eq!(
            w.token_url(),
            "https://adb-1.2.azuredatabricks.net/oidc/v1/token"
        );
        let a = OidcHost {
            base: "https://accounts.azuredatabricks.net".into(),
            account_id: Some("abc".into()),
        };
        assert_eq!(
            a.token_url(),
            "https://accounts.azuredatabricks.net/oidc/accounts/abc/v1/token"
        );
        assert!(is_account_host("https://accounts.azuredatabricks.net"));
        assert!(!is_account_host("https://adb-1.2.azuredatabricks.net"));
    }

    #[test]
    fn the_cli_cache_is_found_by_host_then_profile() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token-cache.json");
        std::fs::write(
            &path,
            r#"{"version":1,"tokens":{"https://adb-1.2.azuredatabricks.net":{"access_token":"at","token_type":"Bearer","refresh_token":"rt","expiry":"2026-01-01T00:00:00.5+01:00"},"dev":{"access_token":"p","expiry":"0001-01-01T00:00:00Z"}}}"#,
        )
        .unwrap();
        let keys = cache_keys("https://adb-1.2.azuredatabricks.net/", None, Some("dev"));
        let t = read_cache(&path, &keys).unwrap().unwrap();
        assert_eq!(t.access_token, "at");
        assert!(t.refresh_token.is_some());
        assert_eq!(t.expires_on, Some(1_767_222_000));
        let t = read_cache(&path, &cache_keys("https://other", None, Some("dev")))
            .unwrap()
            .unwrap();
        assert_eq!((t.key.as_str(), t.expires_on), ("dev", None));
        assert!(read_cache(&path, &cache_keys("https://x", None, None))
            .unwrap()
            .is_none());
        std::fs::write(&path, r#"{"version":2,"tokens":{}}"#).unwrap();
        assert!(read_cache(&path, &keys).unwrap_err().contains("version 2"));
        assert_eq!(
            cache_keys("accounts.azuredatabricks.net", Some("a1"), None),
            vec!["https://accounts.azuredatabricks.net/oidc/accounts/a1".to_owned()]
        );
    }
}

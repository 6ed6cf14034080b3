//! Entra workload identity federation: an external token (a CI system's, a
//! Kubernetes service account's) sent as `client_assertion` to the Entra
//! token endpoint in place of a secret.
//!
//! The external token comes from a file (`--federated-token-file`,
//! `AZURE_FEDERATED_TOKEN_FILE`), an environment variable
//! (`--federated-token-env`), or GitHub Actions' ID-token request
//! (`ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, the
//! audience `api://AzureADTokenExchange`). It is decoded and shown by its
//! claims, never whole. When Entra refuses, [`compare`] holds its `iss`,
//! `sub` and `aud` against the app's federated credentials (the JSON of
//! `az ad app federated-credential list`), character by character and
//! case-sensitively, with the diff of [`entra_explain`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use entra_explain::{first_difference, TextDifference, UriDifference};
use serde_json::Value;

use super::secret::Secret;
use super::{pair, Endpoint, FlowError, Http, Target, TokenResponse};
use crate::net::databrickscfg::Env;

/// The audience Entra expects of a federated token by default.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// Bound on an external token (a file, a variable, an answer).
pub const MAX_EXTERNAL: usize = 64 * 1024;
/// Bound on a federated-credential file.
pub const MAX_CREDENTIALS_FILE: usize = 1024 * 1024;

/// Where the external token comes from.
#[derive(Debug, Clone)]
pub enum ExternalSource {
    /// A file; `from` names the setting.
    File { path: PathBuf, from: String },
    /// An environment variable.
    Env { name: String },
    /// GitHub Actions' ID-token request.
    GitHub {
        request_url: String,
        request_token: Secret,
        audience: String,
    },
}

impl ExternalSource {
    pub fn label(&self) -> String {
        match self {
            ExternalSource::File { path, from } => format!("the file {} ({from})", path.display()),
            ExternalSource::Env { name } => format!("the variable {name}"),
            ExternalSource::GitHub { audience, .. } => format!(
                "GitHub Actions' ID-token request (ACTIONS_ID_TOKEN_REQUEST_URL, audience {audience})"
            ),
        }
    }
}

/// Picks the source: `--federated-token-file`, `--federated-token-env`,
/// `AZURE_FEDERATED_TOKEN_FILE`, then GitHub Actions' request variables.
pub fn external_source(
    file_flag: Option<&Path>,
    env_flag: Option<&str>,
    audience: Option<&str>,
    env: &dyn Env,
) -> Result<ExternalSource, String> {
    if let Some(p) = file_flag {
        return Ok(ExternalSource::File {
            path: p.to_owned(),
            from: "--federated-token-file".into(),
        });
    }
    if let Some(name) = env_flag {
        return Ok(ExternalSource::Env {
            name: name.trim().to_owned(),
        });
    }
    if let Some(p) = env.var("AZURE_FEDERATED_TOKEN_FILE") {
        return Ok(ExternalSource::File {
            path: PathBuf::from(p.trim()),
            from: "AZURE_FEDERATED_TOKEN_FILE".into(),
        });
    }
    match (
        env.var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        env.var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) {
        (Some(url), Some(token)) => Ok(ExternalSource::GitHub {
            request_url: url.trim().to_owned(),
            request_token: Secret::new(token.trim()),
            audience: audience.unwrap_or(TOKEN_EXCHANGE_AUDIENCE).to_owned(),
        }),
        (Some(_), None) => Err("ACTIONS_ID_TOKEN_REQUEST_URL is set but ACTIONS_ID_TOKEN_REQUEST_TOKEN is not: give the job `permissions: id-token: write`".into()),
        _ => Err("no external token: --federated-token-file FILE, --federated-token-env NAME, AZURE_FEDERATED_TOKEN_FILE, or (in GitHub Actions, with `permissions: id-token: write`) ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN".into()),
    }
}

/// Reads the external token. `timeout` bounds GitHub's request.
pub async fn read_external(
    src: &ExternalSource,
    env: &dyn Env,
    timeout: Duration,
) -> Result<Secret, FlowError> {
    let text = match src {
        ExternalSource::File { path, from } => {
            read_bounded(path).map_err(|e| FlowError::Failed(format!("{from}: {e}")))?
        }
        ExternalSource::Env { name } => env
            .var(name)
            .ok_or_else(|| FlowError::Failed(format!("the variable {name} is not set or empty")))?,
        ExternalSource::GitHub {
            request_url,
            request_token,
            audience,
        } => github_token(request_url, request_token, audience, timeout).await?,
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(FlowError::Failed(format!("{} is empty", src.label())));
    }
    if t.len() > MAX_EXTERNAL {
        return Err(FlowError::Failed(format!(
            "{} is over {MAX_EXTERNAL} bytes",
            src.label()
        )));
    }
    Ok(Secret::new(t))
}

fn read_bounded(path: &Path) -> Result<String, String> {
    use std::io::Read as _;
    let f =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut buf = Vec::new();
    f.take(MAX_EXTERNAL as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if buf.len() > MAX_EXTERNAL {
        return Err(format!("{} is over {MAX_EXTERNAL} bytes", path.display()));
    }
    String::from_utf8(buf).map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

/// GitHub Actions: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=...` with
/// `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the answer is
/// `{"value": "<jwt>"}`.
async fn github_token(
    request_url: &str,
    request_token: &Secret,
    audience: &str,
    timeout: Duration,
) -> Result<String, FlowError> {
    let mut url = url::Url::parse(request_url).map_err(|e| {
        FlowError::Failed(format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}"))
    })?;
    if url.scheme() != "https" && !crate::net::http::is_loopback(&url) {
        return Err(FlowError::Failed(
            "ACTIONS_ID_TOKEN_REQUEST_URL must be https (or http on loopback): the request carries a bearer token".into(),
        ));
    }
    url.query_pairs_mut().append_pair("audience", audience);
    let shown = format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path()
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .timeout(timeout)
        .build()
        .map_err(|e| FlowError::Failed(format!("cannot build the HTTP client: {e}")))?;
    let auth = format!("bearer {}", request_token.expose());
    let (status, body) = super::msi::get_bounded(
        &client,
        url.as_str(),
        &[("Authorization", &auth), ("Accept", "application/json")],
    )
    .await
    .map_err(|e| match e {
        super::msi::GetError::Unreachable(m) | super::msi::GetError::Other(m) => {
            FlowError::Failed(format!("{shown}: {m}"))
        }
        super::msi::GetError::TimedOut => {
            FlowError::Failed(format!("{shown}: no answer within {} s", timeout.as_secs()))
        }
    })?;
    let value = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("value").and_then(Value::as_str).map(str::to_owned));
    match value {
        Some(v) if (200..300).contains(&status) => Ok(v),
        _ => Err(FlowError::Refused {
            url: shown,
            status: Some(status),
            body: String::from_utf8_lossy(&body).into_owned(),
        }),
    }
}

/// The claims of an external token that federation compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub exp: Option<i64>,
    pub alg: String,
}

/// Decodes an external token (no signature check: Entra checks it with the
/// issuer's keys).
pub fn decode_external(jwt: &str) -> Result<External, String> {
    let t = entra_token::Token::parse(jwt)
        .map_err(|e| format!("the external token is not a JWT: {e}"))?;
    let p = t.payload_value();
    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let aud = match p.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(l)) => l
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Ok(External {
        iss: s("iss"),
        sub: s("sub"),
        aud,
        exp: p.get("exp").and_then(Value::as_i64),
        alg: t
            .header_value()
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    })
}

/// Client credentials with the external token as `client_assertion`.
pub async fn exchange(
    http: &Http,
    ep: &Endpoint,
    target: &Target,
    client_id: &str,
    assertion: &Secret,
) -> Result<TokenResponse, FlowError> {
    let url = ep.token_url(target);
    let mut form = vec![
        pair("grant_type", "client_credentials"),
        pair("client_id", client_id),
        pair(
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        pair("client_assertion", assertion.expose()),
    ];
    target.add_to(&mut form);
    http.token(&url, &form).await
}

/// The settings of the federated flow, for `token` and `auth`.
pub struct FederatedSettings {
    pub endpoint: Endpoint,
    pub target: Target,
    pub client_id: String,
    pub source: ExternalSource,
    pub timeout: Duration,
}

/// The whole flow: read the external token, then exchange it. The external
/// token's claims come back too (for the display and the comparison).
pub async fn run(
    http: &Http,
    s: &FederatedSettings,
    env: &dyn Env,
) -> (Option<External>, Result<TokenResponse, FlowError>) {
    let jwt = match read_external(&s.source, env, s.timeout).await {
        Ok(j) => j,
        Err(e) => return (None, Err(e)),
    };
    let ext = match decode_external(jwt.expose()) {
        Ok(x) => x,
        Err(e) => {
            return (
                None,
                Err(FlowError::Failed(format!("{}: {e}", s.source.label()))),
            )
        }
    };
    let r = exchange(http, &s.endpoint, &s.target, &s.client_id, &jwt).await;
    (Some(ext), r)
}

/// A federated identity credential as `az ad app federated-credential list`
/// prints it (its other fields, `id`, `description`, are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedCredential {
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
}

/// As read: `null` where az prints it.
#[derive(serde::Deserialize)]
struct RawCredential {
    name: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    audiences: Option<Vec<String>>,
    #[serde(rename = "claimsMatchingExpression")]
    claims_matching: Option<Value>,
}

/// Reads the credentials: an array of objects, or one object.
pub fn read_credentials(path: &Path) -> Result<Vec<FederatedCredential>, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > MAX_CREDENTIALS_FILE as u64 {
        return Err(format!(
            "{} is over {MAX_CREDENTIALS_FILE} bytes",
            path.display()
        ));
    }
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_credentials(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn parse_credentials(text: &[u8]) -> Result<Vec<FederatedCredential>, String> {
    let v: Value = serde_json::from_slice(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = match v {
        Value::Array(a) => a,
        o @ Value::Object(_) => vec![o],
        _ => return Err("expected the JSON of `az ad app federated-credential list` (an array of objects with issuer, subject, audiences)".into()),
    };
    if list.is_empty() {
        return Err("no federated credential in the file (the app has none: add one with `az ad app federated-credential create`)".into());
    }
    let mut out = Vec::new();
    for (i, o) in list.into_iter().enumerate() {
        let r: RawCredential =
            serde_json::from_value(o).map_err(|e| format!("credential {}: {e}", i + 1))?;
        let name = r.name.unwrap_or_default();
        let Some(issuer) = r.issuer else {
            return Err(format!("credential {} ('{name}') has no issuer", i + 1));
        };
        let subject = match (r.subject, r.claims_matching.is_some_and(|c| !c.is_null())) {
            (Some(s), _) => s,
            // Flexible credentials match an expression, not a subject: not compared.
            (None, true) => continue,
            (None, false) => return Err(format!("credential {} ('{name}') has no subject", i + 1)),
        };
        out.push(FederatedCredential {
            name,
            issuer,
            subject,
            audiences: r.audiences.unwrap_or_default(),
        });
    }
    if out.is_empty() {
        return Err("no federated credential with a subject in the file (flexible credentials, with claimsMatchingExpression, are not compared)".into());
    }
    Ok(out)
}

/// One claim that differs from the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMismatch {
    /// `iss`, `sub` or `aud`.
    pub claim: &'static str,
    pub presented: String,
    pub expected: String,
    pub difference: Option<TextDifference>,
    /// For `iss`: the URI parts that differ (trailing slash, host, ...).
    pub uri: Vec<UriDifference>,
}

/// The nearest credential and what differs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub credential: FederatedCredential,
    pub mismatches: Vec<ClaimMismatch>,
}

fn mismatch(claim: &'static str, presented: &str, expected: &str) -> Option<ClaimMismatch> {
    let difference = first_difference(presented, expected)?;
    let uri = if claim == "iss" {
        entra_explain::compare_redirect_uris(presented, &[expected.to_owned()]).differences
    } else {
        Vec::new()
    };
    Some(ClaimMismatch {
        claim,
        presented: presented.to_owned(),
        expected: expected.to_owned(),
        difference: Some(difference),
        uri,
    })
}

/// Compares the external token with each credential and keeps the nearest:
/// fewest differing claims (issuer weighs most, then subject), then the
/// longest common beginning of the subject.
pub fn compare(ext: &External, creds: &[FederatedCredential]) -> Option<Comparison> {
    let mut best: Option<(u32, usize, Comparison)> = None;
    for c in creds {
        let mut m = Vec::new();
        let mut score = 0;
        if let Some(x) = mismatch("iss", &ext.iss, &c.issuer) {
            score += 4;
            m.push(x);
        }
        let sub = mismatch("sub", &ext.sub, &c.subject);
        let common = sub
            .as_ref()
            .and_then(|s| s.difference.as_ref())
            .map_or(usize::MAX, |d| d.position);
        if let Some(x) = sub {
            score += 2;
            m.push(x);
        }
        let audiences: Vec<&str> = if c.audiences.is_empty() {
            vec![TOKEN_EXCHANGE_AUDIENCE]
        } else {
            c.audiences.iter().map(String::as_str).collect()
        };
        if !ext.aud.iter().any(|a| audiences.contains(&a.as_str())) {
            score += 1;
            let presented = ext.aud.first().map(String::as_str).unwrap_or("");
            if let Some(x) = mismatch("aud", presented, audiences[0]) {
                m.push(x);
            }
        }
        let better = best
            .as_ref()
            .is_none_or(|(s, p, _)| score < *s || (score == *s && common > *p));
        if better {
            best = Some((
                score,
                common,
                Comparison {
                    credential: c.clone(),
                    mismatches: m,
                },
            ));
        }
    }
    best.map(|(_, _, c)| c)
}

fn claim_name(c: &str) -> &'static str {
    match c {
        "iss" => "issuer (iss)",
        "sub" => "subject (sub)",
        _ => "audience (aud)",
    }
}

/// The comparison as lines of text.
pub fn comparison_lines(c: &Comparison) -> Vec<String> {
    let name = if c.credential.name.is_empty() {
        "(unnamed)".to_owned()
    } else {
        c.credential.name.clone()
    };
    let mut out = Vec::new();
    if c.mismatches.is_empty() {
        out.push(format!(
            "The token's iss, sub and aud match the federated credential '{name}' exactly. If Entra still refuses, check the credential is on this app (client ID), that the token is within its lifetime, and that it is signed by a key of the issuer's JWKS."
        ));
        return out;
    }
    out.push(format!(
        "Nearest federated credential: '{name}'. What differs:"
    ));
    for m in &c.mismatches {
        out.push(format!(
            "- {}: the token has `{}`, the credential expects `{}`.",
            claim_name(m.claim),
            m.presented,
            m.expected
        ));
        if let Some(d) = &m.difference {
            out.push(format!("  {}", d.describe()));
        }
        for u in &m.uri {
            if !matches!(u, UriDifference::Other { .. }) {
                out.push(format!("  {}", u.describe()));
            }
        }
    }
    let fixes: Vec<String> = c
        .mismatches
        .iter()
        .map(|m| match m.claim {
            "sub" => format!(
                "make the credential's subject exactly `{}` (az ad app federated-credential update), or run the job from the branch/environment the credential names",
                m.presented
            ),
            "iss" => format!("make the credential's issuer exactly `{}`", m.presented),
            _ => format!(
                "request the token with the audience `{}`, or add `{}` to the credential's audiences",
                m.expected, m.presented
            ),
        })
        .collect();
    out.push(format!("Fix: {}.", fixes.join("; ")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(sub: &str) -> External {
        External {
            iss: "https://token.actions.githubusercontent.com".into(),
            sub: sub.into(),
            aud: vec![TOKEN_EXCHANGE_AUDIENCE.into()],
            exp: None,
            alg: "RS256".into(),
        }
    }

    const CREDS: &str = r#"[
      {"name":"prod","issuer":"https://token.actions.githubusercontent.com","subject":"repo:org/repo:environment:prod","audiences":["api://AzureADTokenExchange"]},
      {"name":"main","issuer":"https://token.actions.githubusercontent.com","subject":"repo:org/repo:ref:refs/heads/main","audiences":["api://AzureADTokenExchange"]}
    ]"#;

    #[test]
    fn wrong_branch_names_sub_and_position() {
        let creds = parse_credentials(CREDS.as_bytes()).unwrap();
        let c = compare(&ext("repo:org/repo:ref:refs/heads/dev"), &creds).unwrap();
        assert_eq!(c.credential.name, "main");
        assert_eq!(c.mismatches.len(), 1);
        assert_eq!(c.mismatches[0].claim, "sub");
        assert_eq!(c.mismatches[0].difference.as_ref().unwrap().position, 30);
        let text = comparison_lines(&c).join("\n");
        assert!(text.contains("character 30"), "{text}");
        assert!(text.contains("`dev` presented, `main` expected"), "{text}");
    }

    #[test]
    fn exact_match_and_single_object_and_issuer_slash() {
        let creds = parse_credentials(CREDS.as_bytes()).unwrap();
        let c = compare(&ext("repo:org/repo:ref:refs/heads/main"), &creds).unwrap();
        assert!(c.mismatches.is_empty());
        let one = parse_credentials(br#"{"name":"x","issuer":"https://token.actions.githubusercontent.com/","subject":"s"}"#).unwrap();
        let mut e = ext("s");
        e.aud = vec!["other".into()];
        let c = compare(&e, &one).unwrap();
        let claims: Vec<&str> = c.mismatches.iter().map(|m| m.claim).collect();
        assert_eq!(claims, ["iss", "aud"]);
        let text = comparison_lines(&c).join("\n");
        assert!(text.contains("Trailing slash"), "{text}");
        assert!(parse_credentials(b"[]").is_err());
        assert!(parse_credentials(b"[{\"name\":1}]").is_err());
        assert!(parse_credentials(br#"[{"name":"n","issuer":"i"}]"#).is_err());
        // az's own shape: id, description null; a flexible credential is skipped.
        let az = br#"[{"audiences":["api://AzureADTokenExchange"],"description":null,"id":"x","issuer":"i","name":"a","subject":"s"},
                      {"audiences":[],"issuer":"i","name":"flex","subject":null,"claimsMatchingExpression":{"value":"claims['sub'] matches 'repo:*'","languageVersion":1}}]"#;
        let l = parse_credentials(az).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].subject, "s");
    }
}

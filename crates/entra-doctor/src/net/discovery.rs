//! Signing keys from OpenID discovery: Entra's tenant documents
//! (`<authority>/<tid>/.well-known/openid-configuration`, `/v2.0/` for v2
//! tokens) or any issuer's (`<issuer>/.well-known/openid-configuration`),
//! then `jwks_uri`, then — when the token's key is not there and the
//! application is known — the application's own keys (`?appid=`).

use std::sync::Arc;

use entra_token::findings::names::DISCOVERY;
use entra_token::issuer::{self, IssuerVersion};
use entra_token::{Finding, KeySet, Token};
use url::Url;

use crate::net::http::{self, Cause, Get, NetError};
use crate::net::key_cache::{Kind, Miss, Origin};
use crate::net::workspace::{host_of, miss_cause, miss_text, net_fix, origin_note, Cloud};
use crate::net::Online;

/// Where the keys are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Entra ID: the token's tenant under an authority.
    Entra {
        authority: Url,
        tenant: String,
        version: IssuerVersion,
        token_issuer: String,
        authority_from: String,
    },
    /// Plain OpenID discovery of an issuer (`--issuer`).
    Oidc { issuer: String },
}

/// Reads `--authority`: https (or http to a loopback host), no path.
pub fn parse_authority(text: &str) -> Result<Url, String> {
    let with_scheme = with_https(text);
    let given =
        Url::parse(&with_scheme).map_err(|e| format!("--authority '{text}' is not a URL: {e}"))?;
    if !(given.path() == "/" || given.path().is_empty()) || given.query().is_some() {
        return Err(format!(
            "--authority {given} must be a host only, like https://login.microsoftonline.com (the tenant comes from the token)"
        ));
    }
    let normal = normalise_authority(text).map_err(|e| format!("--authority: {e}"))?;
    let url = Url::parse(&normal).map_err(|e| format!("--authority '{text}' is not a URL: {e}"))?;
    http::check_url(&url).map_err(|e| format!("--authority: {e}"))?;
    Ok(url)
}

/// `text` with `https://` in front when it names no scheme.
fn with_https(text: &str) -> String {
    if text.contains("://") {
        text.trim().to_owned()
    } else {
        format!("https://{}", text.trim())
    }
}

/// The public cloud's authority host.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// `https://host` (or `http://` on loopback only), without path or slash.
pub fn normalise_authority(text: &str) -> Result<String, String> {
    let with_scheme = with_https(text);
    let url = url::Url::parse(&with_scheme).map_err(|e| format!("authority '{text}': {e}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("authority '{text}' has no host"))?;
    let loopback = http::is_loopback(&url);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        s => {
            return Err(format!(
                "authority '{text}': scheme {s} is not allowed (https, or http on loopback)"
            ))
        }
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        _ => host.to_owned(),
    };
    Ok(format!("{}://{host}{port}", url.scheme()))
}

/// Decides where the token's keys are. `Err` says why discovery does not
/// apply (no network failure).
pub fn source_for(
    token: &Token,
    issuer_flag: Option<&str>,
    authority_flag: Option<&Url>,
    env_cloud: Option<(Cloud, String)>,
    workspace_cloud: Option<Cloud>,
) -> Result<Source, String> {
    if let Some(iss) = issuer_flag {
        return Ok(Source::Oidc {
            issuer: iss.to_owned(),
        });
    }
    let iss = token.claims().iss.as_ref().and_then(|v| v.as_str());
    let Some(iss) = iss else {
        return Err(
            "the token has no issuer ('iss'), so its signing keys cannot be looked up".into(),
        );
    };
    let authority_base = authority_flag.map(|a| a.as_str().trim_end_matches('/').to_owned());
    let Some(parsed) = issuer::parse_with_authority(iss, authority_base.as_deref()) else {
        if let Some(d) = entra_token::kind::databricks_issuer(iss) {
            return Err(format!(
                "the token was issued by Databricks ({}), and its keys are fetched only from the host you check against: give that host with --workspace (or a profile's host), or the issuer with --issuer; fetching keys from a host the token names would let the token choose its own keys",
                entra_token::text::clip(&d.origin, 120)
            ));
        }
        return Err(format!(
            "the token's issuer '{}' is not an Entra ID issuer, so its keys are not looked up; give --issuer with that issuer to use its OpenID discovery, or the keys with --jwks",
            entra_token::text::clip(iss, 120)
        ));
    };
    // The tenant goes into a URL path: a GUID or a domain name, nothing else.
    let t = &parsed.tenant;
    if !entra_token::tenant_id::is_tenant(t) {
        return Err(format!(
            "the token's issuer names the tenant '{}', which is neither a tenant ID nor a domain name, so its keys are not looked up",
            entra_token::text::clip(t, 60)
        ));
    }
    // A v2 issuer under a custom authority: that authority's discovery.
    if !issuer::is_entra_host(&parsed.host) {
        if let Some(a) = authority_flag {
            return Ok(Source::Entra {
                authority: a.clone(),
                tenant: parsed.tenant,
                version: parsed.version,
                token_issuer: iss.to_owned(),
                authority_from: "--authority".to_owned(),
            });
        }
    }
    let (authority, from) = if let Some(a) = authority_flag {
        (a.clone(), "--authority".to_owned())
    } else if let Some((cloud, source)) = env_cloud {
        (
            Url::parse(cloud.authority()).map_err(|e| e.to_string())?,
            source,
        )
    } else {
        match parsed.version {
            IssuerVersion::V2 => (
                Url::parse(&format!("https://{}", parsed.host)).map_err(|e| e.to_string())?,
                "the token's issuer".into(),
            ),
            IssuerVersion::V1 if parsed.host == "sts.chinacloudapi.cn" => (
                Url::parse(Cloud::China.authority()).map_err(|e| e.to_string())?,
                "the token's issuer (Azure China)".into(),
            ),
            IssuerVersion::V1 => match workspace_cloud {
                Some(c) => (
                    Url::parse(c.authority()).map_err(|e| e.to_string())?,
                    format!("the workspace's cloud ({})", c.name()),
                ),
                None => (
                    Url::parse(Cloud::Public.authority()).map_err(|e| e.to_string())?,
                    "the default".into(),
                ),
            },
        }
    };
    Ok(Source::Entra {
        authority,
        tenant: parsed.tenant,
        version: parsed.version,
        token_issuer: iss.to_owned(),
        authority_from: from,
    })
}

/// Like [`source_for`], and for a token Databricks issued (`iss`
/// `<host>/oidc` or `<host>/oidc/accounts/<id>`): that issuer's own OpenID
/// discovery, but only when the issuer's host is the host the user pointed
/// at (`workspace`, from `--workspace` or a profile), and for an account's
/// token, only when its account is `account_id` (the accounts host is
/// shared by every account). Otherwise no keys: the token must not pick
/// the host (or account) its keys come from.
pub fn source_for_host(
    token: &Token,
    issuer_flag: Option<&str>,
    authority_flag: Option<&Url>,
    env_cloud: Option<(Cloud, String)>,
    workspace: Option<&crate::net::workspace::Workspace>,
    account_id: Option<&str>,
) -> Result<Source, String> {
    if issuer_flag.is_none() {
        let iss = token.claims().iss.and_then(|v| v.as_str());
        let dbx = iss.and_then(|i| entra_token::kind::databricks_issuer(i).map(|d| (i, d)));
        if let (Some((iss, d)), Some(ws)) = (dbx, workspace) {
            if d.origin.eq_ignore_ascii_case(&ws.display()) {
                if let Some(id) = d.account_id {
                    match account_id {
                        Some(want) if want.trim().eq_ignore_ascii_case(id) => {}
                        Some(want) => return Err(format!(
                            "the token was issued by the Databricks account {id}, not by the account {} configured; its keys are fetched only for that account, so its signature is not checked",
                            entra_token::text::clip(want, 64)
                        )),
                        None => return Err(
                            "the token was issued by a Databricks account, and no account ID is configured (DATABRICKS_ACCOUNT_ID, or account_id in the profile); keys are fetched only for the configured account's issuer, so its signature is not checked".into()
                        ),
                    }
                }
                return Ok(Source::Oidc {
                    issuer: iss.to_owned(),
                });
            }
            return Err(format!(
                "the token was issued by Databricks at {}, not by {} (from {}), the host you check against; its keys are fetched only from that host, so its signature is not checked",
                entra_token::text::clip(&d.origin, 120),
                ws.display(),
                ws.source
            ));
        }
    }
    source_for(
        token,
        issuer_flag,
        authority_flag,
        env_cloud,
        workspace.and_then(|w| w.cloud),
    )
}

impl Source {
    /// The discovery document's URL.
    pub fn discovery_url(&self) -> Result<Url, String> {
        let text = match self {
            Source::Entra {
                authority,
                tenant,
                version,
                ..
            } => {
                let base = authority.as_str().trim_end_matches('/');
                match version {
                    IssuerVersion::V1 => {
                        format!("{base}/{tenant}/.well-known/openid-configuration")
                    }
                    IssuerVersion::V2 => {
                        format!("{base}/{tenant}/v2.0/.well-known/openid-configuration")
                    }
                }
            }
            Source::Oidc { issuer } => format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            ),
        };
        let url = Url::parse(&text).map_err(|e| format!("{text} is not a URL: {e}"))?;
        http::check_url(&url)?;
        Ok(url)
    }

    /// The issuer the discovery document must name.
    fn expected_issuer(&self) -> &str {
        match self {
            Source::Entra { token_issuer, .. } => token_issuer,
            Source::Oidc { issuer } => issuer,
        }
    }

    fn issuer_matches(&self, doc_issuer: &str) -> bool {
        match self {
            Source::Entra {
                tenant,
                token_issuer,
                ..
            } => doc_issuer
                .replace("{tenantid}", tenant)
                .eq_ignore_ascii_case(token_issuer),
            // OpenID Connect Discovery 1.0 §4.3: exactly the issuer asked for.
            Source::Oidc { issuer } => doc_issuer == issuer,
        }
    }
}

/// The keys found.
#[derive(Debug, Clone)]
pub struct KeysFound {
    pub keys: Arc<KeySet>,
    pub discovery_url: String,
    pub jwks_uri: String,
    pub origin: Origin,
    /// The application whose own keys were used (`?appid=`).
    pub app_keys_of: Option<String>,
    pub notes: Vec<String>,
    /// A network step that failed on the way (the app-specific retry).
    pub failed_step: Option<NetError>,
}

/// Why there are no keys.
#[derive(Debug, Clone)]
pub enum KeysProblem {
    /// A network step failed, or offline with nothing cached.
    Miss { url: String, miss: Miss },
    /// The answers show a problem (unknown tenant, issuer mismatch...).
    Verdict(Finding),
}

/// The application to retry with, and where it came from.
pub type App = (String, String);

/// Finds the keys for a token.
pub async fn fetch_keys(
    online: &Online,
    src: &Source,
    kid: Option<&str>,
    app: Option<&App>,
) -> Result<KeysFound, KeysProblem> {
    let disc_url = src.discovery_url().map_err(|e| {
        KeysProblem::Verdict(
            Finding::fail(DISCOVERY, format!("cannot look up the keys: {e}"))
                .fix("Check --authority or --issuer."),
        )
    })?;
    let doc = discovery_doc(online, src, &disc_url).await?;
    let (doc_issuer, jwks_uri, doc_origin) = doc;
    if !src.issuer_matches(&doc_issuer) {
        let fix = match src {
            Source::Entra { .. } => "The token was not issued by this authority: check --authority (sovereign clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn) or where the token came from.",
            Source::Oidc { .. } => "OpenID discovery requires the document's issuer to be exactly the issuer asked for (OpenID Connect Discovery §4.3); check --issuer, including any trailing slash.",
        };
        return Err(KeysProblem::Verdict(
            Finding::fail(DISCOVERY, format!("the discovery document {disc_url} names the issuer \"{doc_issuer}\", not \"{}\"", src.expected_issuer()))
                .expected(src.expected_issuer().to_owned())
                .actual(doc_issuer)
                .fix(fix),
        ));
    }
    let jwks = Url::parse(&jwks_uri).map_err(|e| {
        KeysProblem::Verdict(
            Finding::fail(
                DISCOVERY,
                format!("the discovery document's jwks_uri '{jwks_uri}' is not a URL: {e}"),
            )
            .actual(jwks_uri.clone()),
        )
    })?;
    if let Err(e) = http::check_url(&jwks) {
        return Err(KeysProblem::Verdict(
            Finding::fail(DISCOVERY, format!("the discovery document's jwks_uri is refused: {e}"))
                .actual(jwks_uri.clone())
                .fix("Key sets are fetched over https only; the provider's discovery document must give an https jwks_uri."),
        ));
    }
    let mut notes = Vec::new();
    if let Origin::Cache { age_secs } = doc_origin {
        if age_secs > 0 {
            notes.push(format!("discovery document{}", origin_note(&doc_origin)));
        }
    }
    let tenant_keys = key_set(online, &jwks, kid)
        .await
        .map_err(|m| KeysProblem::Miss {
            url: jwks.to_string(),
            miss: m,
        })?;
    if let Some(n) = &tenant_keys.note {
        notes.push(n.clone());
    }
    let (keys, origin, throttled) = (tenant_keys.keys, tenant_keys.origin, tenant_keys.throttled);
    let mut found = KeysFound {
        keys: keys.clone(),
        discovery_url: disc_url.to_string(),
        jwks_uri: jwks.to_string(),
        origin,
        app_keys_of: None,
        notes,
        failed_step: None,
    };
    let Some(kid) = kid else { return Ok(found) };
    if has_key(&keys, kid) {
        return Ok(found);
    }
    let Some((app, app_from)) = app else {
        return Ok(found);
    };
    let mut app_url = jwks.clone();
    app_url.query_pairs_mut().append_pair("appid", app);
    // The application's URL has its own refetch throttle. For an application
    // without keys of its own Entra serves the tenant's current keys there,
    // so while the tenant's cached set may be out of date (its refetch
    // throttled), finding the kid there proves less: the message says so.
    match key_set(online, &app_url, Some(kid)).await {
        Ok(KeySetGot {
            keys: app_keys,
            note,
            ..
        }) => {
            if let Some(n) = note {
                found.notes.push(n);
            }
            if has_key(&app_keys, kid) {
                found.notes.push(if throttled {
                    format!(
                        "kid \"{kid}\" is in the key set fetched with ?appid={app} (application from {app_from}): the application's own signing keys, or the tenant's keys rotated since the cached copy"
                    )
                } else {
                    format!(
                        "kid \"{kid}\" is not in the tenant's key set but in the application's own keys (?appid={app}, application from {app_from}): this application has its own signing keys (for example for claims mapping)"
                    )
                });
                found.keys = app_keys;
                found.app_keys_of = Some(app.clone());
                found.jwks_uri = app_url.to_string();
            } else {
                found.notes.push(format!("kid \"{kid}\" is not in the application's own keys either (?appid={app}, application from {app_from})"));
            }
        }
        Err(m) => {
            found.notes.push(format!(
                "the application's own keys (?appid={app}) could not be fetched: {}",
                miss_text(&m)
            ));
            if let Miss::Net(e) = m {
                found.failed_step = Some(e);
            }
        }
    }
    Ok(found)
}

fn has_key(keys: &KeySet, kid: &str) -> bool {
    keys.has_kid(kid) || keys.keys().iter().any(|k| k.x5t.as_deref() == Some(kid))
}

/// The discovery document: (issuer, jwks_uri, origin).
async fn discovery_doc(
    online: &Online,
    src: &Source,
    url: &Url,
) -> Result<(String, String, Origin), KeysProblem> {
    const STEP: &str = "OpenID discovery";
    let step = online
        .progress
        .start(format!("OpenID discovery at {}", host_of(url)));
    let fetch = online.client.as_ref().map(|client| {
        let url = url.clone();
        move || async move {
            let resp = client.get(Get::new(STEP, url.clone())).await?;
            let err = |cause| NetError {
                step: STEP,
                url: resp.url.to_string(),
                cause,
            };
            if !(200..300).contains(&resp.status) {
                // Entra's errors are JSON with an AADSTS description.
                let snippet = http::parse_json_object(&resp.body)
                    .ok()
                    .and_then(|o| {
                        o.get("error_description")
                            .and_then(|d| d.as_str())
                            .map(|d| d.lines().next().unwrap_or("").to_owned())
                    })
                    .unwrap_or_else(|| resp.snippet());
                return Err(err(Cause::Status {
                    code: resp.status,
                    snippet,
                }));
            }
            let obj = http::parse_json_object(&resp.body).map_err(err)?;
            for member in ["issuer", "jwks_uri"] {
                if !obj.get(member).is_some_and(|v| v.is_string()) {
                    return Err(err(Cause::Shape(format!(
                        "the discovery document has no '{member}' string"
                    ))));
                }
            }
            Ok(resp.body)
        }
    });
    let got = online
        .cache
        .get(url.as_str(), Kind::Document, None, fetch)
        .await;
    let got = match got {
        Ok(g) => g,
        Err(m) => {
            step.failed(&miss_cause(&m));
            if let (
                Miss::Net(NetError {
                    cause:
                        Cause::Status {
                            code: 400 | 404,
                            snippet,
                        },
                    ..
                }),
                Source::Entra {
                    tenant, authority, ..
                },
            ) = (&m, src)
            {
                if snippet.contains("AADSTS90002") || snippet.contains("AADSTS900023") {
                    return Err(KeysProblem::Verdict(
                        Finding::fail(DISCOVERY, format!("Entra ID at {} does not know the token's tenant {tenant}: {snippet}", authority.as_str().trim_end_matches('/')))
                            .actual(tenant.clone())
                            .fix("The token's tenant does not exist in this cloud: check --authority (sovereign clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn), or the token was forged."),
                    ));
                }
            }
            return Err(KeysProblem::Miss {
                url: url.to_string(),
                miss: m,
            });
        }
    };
    let obj = http::parse_json_object(&got.entry.body).unwrap_or_default();
    let s = |k: &str| {
        obj.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    step.done(origin_note(&got.origin).trim());
    Ok((s("issuer"), s("jwks_uri"), got.origin))
}

/// A key set and how it was had.
struct KeySetGot {
    keys: Arc<KeySet>,
    note: Option<String>,
    origin: Origin,
    throttled: bool,
}

/// A key set, from the cache or fetched.
async fn key_set(online: &Online, url: &Url, kid: Option<&str>) -> Result<KeySetGot, Miss> {
    const STEP: &str = "signing keys";
    let step = online
        .progress
        .start(format!("signing keys from {}", host_of(url)));
    let fetch = online.client.as_ref().map(|client| {
        let url = url.clone();
        move || async move {
            let (_, resp) = client.get_json(Get::new(STEP, url)).await?;
            Ok(resp.body)
        }
    });
    match online
        .cache
        .get(url.as_str(), Kind::KeySet, kid, fetch)
        .await
    {
        Ok(got) => {
            let n = got.entry.keys.as_ref().map_or(0, |k| k.keys().len());
            step.done(&format!("{n} key(s){}", origin_note(&got.origin)));
            let keys = got.entry.keys.clone().unwrap_or_default();
            Ok(KeySetGot {
                keys,
                note: got.note,
                origin: got.origin,
                throttled: got.throttled,
            })
        }
        Err(m) => {
            step.failed(&miss_cause(&m));
            Err(m)
        }
    }
}

/// The discovery finding.
pub fn discovery_finding(src: &Source, result: &Result<KeysFound, KeysProblem>) -> Finding {
    match result {
        Ok(k) => {
            let how = match &k.origin {
                Origin::Fetched => "fetched now".to_owned(),
                other => origin_note(other)
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .to_owned(),
            };
            let via = match src {
                Source::Entra { authority_from, .. } => {
                    format!(" (authority from {authority_from})")
                }
                Source::Oidc { .. } => String::new(),
            };
            let notes = if k.notes.is_empty() {
                String::new()
            } else {
                format!("; {}", k.notes.join("; "))
            };
            let msg = format!(
                "{} signing key(s) from {}, {how}; discovery {}{via}{notes}",
                k.keys.keys().len(),
                k.jwks_uri,
                k.discovery_url
            );
            let f = match (&k.origin, &k.failed_step) {
                (Origin::StaleAfterError { .. }, _) => Finding::warn(DISCOVERY, msg)
                    .fix("The keys may be out of date; check the network and run again."),
                (_, Some(_)) => Finding::skip(DISCOVERY, msg)
                    .fix("A key lookup could not run; check the network and run again."),
                _ => Finding::pass(DISCOVERY, msg),
            };
            f.expected(src.expected_issuer().to_owned())
                .actual(k.jwks_uri.clone())
        }
        Err(KeysProblem::Verdict(f)) => f.clone(),
        Err(KeysProblem::Miss { url, miss }) => {
            let why = match miss {
                Miss::Offline { .. } => {
                    format!("not fetched: --offline and no cached copy of {url}")
                }
                Miss::Net(e) => format!("the signing keys could not be fetched: {e}"),
            };
            let what = match src {
                Source::Entra { .. } => "--authority and the network",
                Source::Oidc { .. } => "--issuer and the network",
            };
            let fix = match miss {
                Miss::Offline { .. } => {
                    "Run once without --offline to fill the cache, or give the keys with --jwks."
                        .to_owned()
                }
                Miss::Net(_) => format!("{} Or give the keys with --jwks.", net_fix(miss, what)),
            };
            Finding::skip(DISCOVERY, why)
                .expected(src.expected_issuer().to_owned())
                .fix(fix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: &str) -> Token {
        let b = |s: &str| entra_token::b64::encode(s.as_bytes());
        Token::parse(&format!(
            "{}.{}.c2ln",
            b(r#"{"alg":"RS256","kid":"k"}"#),
            b(claims)
        ))
        .unwrap()
    }

    const T: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn url_of(s: &Source) -> String {
        s.discovery_url().unwrap().to_string()
    }

    #[test]
    fn entra_discovery_urls_follow_version_and_cloud() {
        let v1 = token(&format!(r#"{{"iss":"https://sts.windows.net/{T}/"}}"#));
        let s = source_for(&v1, None, None, None, None).unwrap();
        assert_eq!(
            url_of(&s),
            format!("https://login.microsoftonline.com/{T}/.well-known/openid-configuration")
        );
        let s = source_for(&v1, None, None, None, Some(Cloud::UsGov)).unwrap();
        assert_eq!(
            url_of(&s),
            format!("https://login.microsoftonline.us/{T}/.well-known/openid-configuration")
        );
        let v2 = token(&format!(
            r#"{{"iss":"https://login.microsoftonline.us/{T}/v2.0"}}"#
        ));
        let s = source_for(&v2, None, None, None, None).unwrap();
        assert_eq!(
            url_of(&s),
            format!("https://login.microsoftonline.us/{T}/v2.0/.well-known/openid-configuration")
        );
        let cn = token(&format!(r#"{{"iss":"https://sts.chinacloudapi.cn/{T}/"}}"#));
        let s = source_for(&cn, None, None, None, None).unwrap();
        assert_eq!(
            url_of(&s),
            format!("https://login.chinacloudapi.cn/{T}/.well-known/openid-configuration")
        );
        let a = parse_authority("http://127.0.0.1:9999").unwrap();
        let s = source_for(&v1, None, Some(&a), None, None).unwrap();
        assert_eq!(
            url_of(&s),
            format!("http://127.0.0.1:9999/{T}/.well-known/openid-configuration")
        );
        let s = source_for(
            &v1,
            None,
            None,
            Some((Cloud::China, "ARM_ENVIRONMENT".into())),
            None,
        )
        .unwrap();
        assert!(url_of(&s).starts_with("https://login.chinacloudapi.cn/"));
    }

    #[test]
    fn plain_oidc_discovery_and_refusals() {
        let t = token(r#"{"iss":"https://idp.example.com/realms/x"}"#);
        assert!(source_for(&t, None, None, None, None)
            .unwrap_err()
            .contains("--issuer"));
        let s = source_for(
            &t,
            Some("https://idp.example.com/realms/x/"),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            url_of(&s),
            "https://idp.example.com/realms/x/.well-known/openid-configuration"
        );
        assert!(s.issuer_matches("https://idp.example.com/realms/x/"));
        assert!(!s.issuer_matches("https://idp.example.com/realms/x"));
        assert!(parse_authority("http://login.microsoftonline.com").is_err());
        assert!(parse_authority("https://login.microsoftonline.com/common").is_err());
        assert!(parse_authority("https://login.microsoftonline.com/").is_ok());
    }

    #[test]
    fn odd_tenants_are_not_put_in_urls() {
        for t in ["..", "a?b=c", "a#b", "%2e%2e", "a b", ".x"] {
            let tok = token(&format!(r#"{{"iss":"https://sts.windows.net/{t}/"}}"#));
            assert!(source_for(&tok, None, None, None, None).is_err(), "{t}");
        }
        let tok = token(r#"{"iss":"https://sts.windows.net/contoso.onmicrosoft.com/"}"#);
        assert!(source_for(&tok, None, None, None, None).is_ok());
    }

    #[test]
    fn entra_issuer_template_is_filled() {
        let v2 = token(&format!(
            r#"{{"iss":"https://login.microsoftonline.com/{T}/v2.0"}}"#
        ));
        let s = source_for(&v2, None, None, None, None).unwrap();
        assert!(s.issuer_matches("https://login.microsoftonline.com/{tenantid}/v2.0"));
        assert!(!s.issuer_matches(
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
        ));
    }
}

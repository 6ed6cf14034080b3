//! What kind of credential was pasted: an Entra ID access token (for Azure
//! Databricks, Microsoft Graph, Azure Resource Manager or another API), an
//! Entra ID token, a token Databricks issued itself (a workspace's or an
//! account's OAuth), another OpenID provider's token, or no JWT at all: a
//! Databricks personal access token or OAuth secret.
//!
//! The classifier decides first ([`classify`], [`non_jwt`]); the rules and
//! the renderers put it in words. Each kind has a stable name
//! ([`Kind::as_str`]), the `"kind"` field of `check --json` and
//! `decode --json`.

use serde::Serialize;

use crate::catalogue::resources::{self, AZURE_DATABRICKS};
use crate::claims::{audiences, string, Claim, Claims};
use crate::summary::{token_kind, TokenKind};

/// The kinds of credential told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An Entra ID access token for an audience the policy accepts (by
    /// default Azure Databricks).
    EntraAccess,
    /// An Entra ID *ID token*: meant for the client application that
    /// signed the user in, never for an API.
    EntraIdToken,
    /// An Entra ID access token for Microsoft Graph.
    EntraGraph,
    /// An Entra ID access token for Azure Resource Manager.
    EntraArm,
    /// An Entra ID access token for another API than the one expected.
    EntraOtherApi,
    /// An OAuth token a Databricks workspace issued (`iss`
    /// `https://<workspace>/oidc`).
    DatabricksOauth,
    /// An OAuth token a Databricks account issued (`iss`
    /// `https://<accounts host>/oidc/accounts/<account-id>`).
    DatabricksOauthAccount,
    /// A Databricks personal access token (`dapi…`): not a JWT.
    DatabricksPat,
    /// A Databricks OAuth secret (`dose…`), a service principal's client
    /// secret: not a token at all.
    DatabricksOauthSecret,
    /// A JWT from another OpenID provider (an issuer neither Entra ID's nor
    /// Databricks').
    OtherJwt,
}

impl Kind {
    /// The stable name: `entra_access`, `databricks_pat`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::EntraAccess => "entra_access",
            Kind::EntraIdToken => "entra_id_token",
            Kind::EntraGraph => "entra_graph",
            Kind::EntraArm => "entra_arm",
            Kind::EntraOtherApi => "entra_other_api",
            Kind::DatabricksOauth => "databricks_oauth",
            Kind::DatabricksOauthAccount => "databricks_oauth_account",
            Kind::DatabricksPat => "databricks_pat",
            Kind::DatabricksOauthSecret => "databricks_oauth_secret",
            Kind::OtherJwt => "other_jwt",
        }
    }

    /// A few words for people: "an Entra ID access token for Microsoft Graph".
    pub fn describe(self) -> &'static str {
        match self {
            Kind::EntraAccess => "an Entra ID access token",
            Kind::EntraIdToken => "an Entra ID token (an ID token, not an access token)",
            Kind::EntraGraph => "an Entra ID access token for Microsoft Graph",
            Kind::EntraArm => "an Entra ID access token for Azure Resource Manager",
            Kind::EntraOtherApi => "an Entra ID access token for another API",
            Kind::DatabricksOauth => "a Databricks OAuth token issued by a workspace",
            Kind::DatabricksOauthAccount => "a Databricks OAuth token issued by an account",
            Kind::DatabricksPat => "a Databricks personal access token",
            Kind::DatabricksOauthSecret => "a Databricks OAuth secret (a client secret)",
            Kind::OtherJwt => "a JWT from another issuer",
        }
    }

    /// Issued by Databricks itself (workspace or account OAuth).
    pub fn is_databricks_oauth(self) -> bool {
        matches!(self, Kind::DatabricksOauth | Kind::DatabricksOauthAccount)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A Databricks OAuth issuer, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabricksIssuer<'a> {
    /// `scheme://host[:port]`, as written in `iss` (lower-cased host).
    pub origin: String,
    /// The account ID of an account issuer (`/oidc/accounts/<id>`).
    pub account_id: Option<&'a str>,
}

/// Recognises a Databricks OAuth issuer: `https://<host>/oidc` (a
/// workspace) or `https://<host>/oidc/accounts/<account-id>` (an account).
/// Plain http is recognised for a loopback host only (a local stand-in).
pub fn databricks_issuer(iss: &str) -> Option<DatabricksIssuer<'_>> {
    let (scheme, rest) = iss.split_once("://")?;
    if !(scheme == "https" || scheme == "http") {
        return None;
    }
    let (host, path) = rest.split_once('/')?;
    if host.is_empty() || host.contains(['@', '?', '#', ' ']) {
        return None;
    }
    if scheme == "http" && !is_loopback_host(host) {
        return None;
    }
    let account_id = match path {
        "oidc" => None,
        p => {
            let id = p.strip_prefix("oidc/accounts/")?;
            let ok = !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return None;
            }
            Some(id)
        }
    };
    Some(DatabricksIssuer {
        origin: format!("{scheme}://{}", host.to_ascii_lowercase()),
        account_id,
    })
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => host,
    };
    name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost") || name == "[::1]"
}

/// Whether the policy's audiences are Azure Databricks' (the default):
/// then a Databricks-issued token is checked by Databricks' rules.
pub fn expects_databricks(audiences: &[String]) -> bool {
    audiences
        .iter()
        .any(|a| a.eq_ignore_ascii_case(AZURE_DATABRICKS))
}

/// Classifies a parsed token. `accepted` are the audiences the policy
/// accepts: a token for one of them is [`Kind::EntraAccess`] (or
/// [`Kind::OtherJwt`] from another issuer); a Databricks-issued token is
/// one of the Databricks kinds only while those audiences are Azure
/// Databricks' (with `--audience` for another API the token is checked as
/// that API's). `entra_issuer` says whether `iss` is Entra's (including a
/// v2 issuer under a custom authority).
pub fn classify(c: &Claims<'_>, accepted: &[String], entra_issuer: bool) -> Kind {
    let iss = string(&c.iss).ok();
    if let Some(d) = iss.and_then(databricks_issuer) {
        if expects_databricks(accepted) && !entra_issuer {
            return if d.account_id.is_some() {
                Kind::DatabricksOauthAccount
            } else {
                Kind::DatabricksOauth
            };
        }
    }
    let auds = match audiences(&c.aud) {
        Claim::Present(a) => a,
        _ => Vec::new(),
    };
    let for_accepted = auds
        .iter()
        .any(|a| accepted.iter().any(|e| e == a.as_ref()));
    if for_accepted {
        // An ID token checked as its own client's (`--audience <client>`)
        // still says what it is when it carries an ID token's own marks.
        let id_marks = c.nonce.is_some() || c.at_hash.is_some() || c.c_hash.is_some();
        return match (entra_issuer, id_marks) {
            (true, true) => Kind::EntraIdToken,
            (true, false) => Kind::EntraAccess,
            (false, _) => Kind::OtherJwt,
        };
    }
    if !entra_issuer {
        return Kind::OtherJwt;
    }
    if token_kind(c) == TokenKind::Id {
        return Kind::EntraIdToken;
    }
    match auds
        .iter()
        .find_map(|a| resources::lookup(a))
        .map(|r| r.name)
    {
        Some("Microsoft Graph") => Kind::EntraGraph,
        Some("Azure Resource Manager") => Kind::EntraArm,
        _ => Kind::EntraOtherApi,
    }
}

/// A credential that is not a JWT, recognised by its documented shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonJwt {
    /// `dapi` and 32 lower-case hex digits, optionally `-<digits>`: a
    /// Databricks personal access token.
    Pat,
    /// `dose` and 32 letters or digits: a Databricks OAuth secret.
    OauthSecret,
}

impl NonJwt {
    /// Its kind.
    pub fn kind(self) -> Kind {
        match self {
            NonJwt::Pat => Kind::DatabricksPat,
            NonJwt::OauthSecret => Kind::DatabricksOauthSecret,
        }
    }
}

/// Recognises a Databricks personal access token or OAuth secret (the
/// compact text, already unwrapped from `Bearer …` and the like).
pub fn non_jwt(text: &str) -> Option<NonJwt> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("dapi") {
        let (hex, suffix) = match rest.split_once('-') {
            Some((h, n)) => (h, Some(n)),
            None => (rest, None),
        };
        let hex_ok = hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        let suffix_ok = suffix
            .is_none_or(|n| !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()));
        return (hex_ok && suffix_ok).then_some(NonJwt::Pat);
    }
    if let Some(rest) = t.strip_prefix("dose") {
        let ok = (32..=64).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric());
        return ok.then_some(NonJwt::OauthSecret);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64::encode;
    use crate::jws::Token;

    fn token(claims: &str) -> Token {
        let h = encode(br#"{"alg":"RS256","kid":"k"}"#);
        Token::parse(&format!("{h}.{}.c2ln", encode(claims.as_bytes()))).unwrap()
    }

    fn kind_of(claims: &str, entra: bool) -> Kind {
        let t = token(claims);
        classify(&t.claims(), &[AZURE_DATABRICKS.to_owned()], entra)
    }

    #[test]
    fn entra_tokens_are_named_by_their_audience() {
        let aud = |a: &str| format!(r#"{{"aud":"{a}","scp":"x","appid":"a"}}"#);
        assert_eq!(kind_of(&aud(AZURE_DATABRICKS), true), Kind::EntraAccess);
        assert_eq!(
            kind_of(&aud("00000003-0000-0000-c000-000000000000"), true),
            Kind::EntraGraph
        );
        assert_eq!(
            kind_of(&aud("https://graph.microsoft.com"), true),
            Kind::EntraGraph
        );
        assert_eq!(
            kind_of(&aud("https://management.azure.com/"), true),
            Kind::EntraArm
        );
        assert_eq!(
            kind_of(&aud("https://vault.azure.net"), true),
            Kind::EntraOtherApi
        );
        assert_eq!(kind_of(&aud("api://mine"), true), Kind::EntraOtherApi);
        assert_eq!(kind_of(&aud("api://mine"), false), Kind::OtherJwt);
    }

    #[test]
    fn an_id_token_is_told_by_its_marks() {
        let id = r#"{"aud":"0f1e2d3c-0000-4000-8000-000000000001","nonce":"n","sub":"s"}"#;
        assert_eq!(kind_of(id, true), Kind::EntraIdToken);
        // Without nonce and without any access-token mark: still an ID token.
        let bare = r#"{"aud":"0f1e2d3c-0000-4000-8000-000000000001","sub":"s","oid":"o"}"#;
        assert_eq!(kind_of(bare, true), Kind::EntraIdToken);
        // Checked for its own client (--audience): still an ID token.
        let t = token(id);
        let own = ["0f1e2d3c-0000-4000-8000-000000000001".to_owned()];
        assert_eq!(classify(&t.claims(), &own, true), Kind::EntraIdToken);
        let t = token(r#"{"aud":"0f1e2d3c-0000-4000-8000-000000000001","scp":"x"}"#);
        assert_eq!(classify(&t.claims(), &own, true), Kind::EntraAccess);
    }

    #[test]
    fn databricks_issuers_of_workspaces_and_accounts() {
        let ws = r#"{"iss":"https://adb-1.2.azuredatabricks.net/oidc","client_id":"databricks-cli","scope":"all-apis"}"#;
        assert_eq!(kind_of(ws, false), Kind::DatabricksOauth);
        let acct = r#"{"iss":"https://accounts.azuredatabricks.net/oidc/accounts/9a8b7c6d-0000-4000-8000-000000000000"}"#;
        assert_eq!(kind_of(acct, false), Kind::DatabricksOauthAccount);
        // With another API's audience expected, it is that API's token.
        let t = token(ws);
        assert_eq!(
            classify(&t.claims(), &["api://mine".to_owned()], false),
            Kind::OtherJwt
        );
        let d = databricks_issuer("https://ADB-1.azuredatabricks.net/oidc").unwrap();
        assert_eq!(d.origin, "https://adb-1.azuredatabricks.net");
        assert!(databricks_issuer("http://127.0.0.1:8080/oidc").is_some());
        for no in [
            "http://adb-1.azuredatabricks.net/oidc",
            "https://adb-1.azuredatabricks.net/oidc/",
            "https://adb-1.azuredatabricks.net/oidc/v1",
            "https://adb-1.azuredatabricks.net/oidc/accounts/",
            "https://adb-1.azuredatabricks.net/oidc/accounts/a/b",
            "https://x@adb-1.azuredatabricks.net/oidc",
            "ftp://adb-1/oidc",
        ] {
            assert!(databricks_issuer(no).is_none(), "{no}");
        }
    }

    #[test]
    fn personal_access_tokens_and_oauth_secrets_by_shape() {
        assert_eq!(
            non_jwt("dapi0123456789abcdef0123456789abcdef"),
            Some(NonJwt::Pat)
        );
        assert_eq!(
            non_jwt("dapi0123456789abcdef0123456789abcdef-3"),
            Some(NonJwt::Pat)
        );
        assert_eq!(
            non_jwt("dose0000demo0000not0000a0000real0000"),
            Some(NonJwt::OauthSecret)
        );
        for no in [
            "dapi0123",
            "dapi0123456789abcdef0123456789abcdeg",
            "dapi0123456789abcdef0123456789abcdef-",
            "dapi0123456789abcdef0123456789abcdef-x",
            "dapi0123456789abcdef0123456789abcdef0",
            "eyJ.x.y",
            "dose-short",
        ] {
            assert_eq!(non_jwt(no), None, "{no}");
        }
    }
}

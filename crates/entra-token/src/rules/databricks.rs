//! The rules for tokens Databricks issued itself (workspace or account
//! OAuth: `databricks auth login`, M2M with a service principal's OAuth
//! secret, token federation): what the token may call (`scope`), which
//! host issued it against the host it is used on, and who it speaks for
//! (`sub`, `client_id`). The signature and lifetime rules are the same as
//! for Entra ID tokens.

use crate::claims::{audiences, string, Claim, Claims};
use crate::findings::names::{AUDIENCE, IDENTITY, ISSUER, TENANT};
use crate::findings::{Finding, Status};
use crate::kind::{databricks_issuer, DatabricksIssuer};
use crate::policy::Policy;

use super::Outcome;

/// The Databricks CLI's OAuth client (U2M, `databricks auth login`).
pub const DATABRICKS_CLI: &str = "databricks-cli";

/// What the scope rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScopeOutcome {
    /// `all-apis`: every REST API.
    AllApis(String),
    /// `sql` without `all-apis`: the SQL APIs only.
    SqlOnly(String),
    /// Neither.
    NoApi(String),
    /// No `scope` claim.
    Missing,
    /// `scope` is neither a string nor an array of strings.
    Malformed(String),
}

impl Outcome for ScopeOutcome {
    fn status(&self) -> Status {
        match self {
            ScopeOutcome::AllApis(_) => Status::Pass,
            ScopeOutcome::SqlOnly(_) => Status::Warn,
            _ => Status::Fail,
        }
    }
}

pub(crate) fn scope_decide(c: &Claims<'_>) -> ScopeOutcome {
    let scopes = match audiences(&c.scope) {
        Claim::Present(v) => v
            .iter()
            .flat_map(|s| s.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>(),
        Claim::Missing => return ScopeOutcome::Missing,
        Claim::Malformed(what) => return ScopeOutcome::Malformed(what),
    };
    let text = scopes.join(" ");
    if scopes.iter().any(|s| s == "all-apis") {
        ScopeOutcome::AllApis(text)
    } else if scopes.iter().any(|s| s == "sql") {
        ScopeOutcome::SqlOnly(text)
    } else {
        ScopeOutcome::NoApi(text)
    }
}

/// The audiences given besides Azure Databricks' (`--audience`): a
/// Databricks token must then name one of the accepted audiences in `aud`.
fn given_audiences(policy: &Policy) -> bool {
    policy
        .audiences
        .iter()
        .any(|a| !a.eq_ignore_ascii_case(crate::catalogue::resources::AZURE_DATABRICKS))
}

/// The `audience` finding of a Databricks token: what it may call (its
/// `scope`), and its `aud` as written; with `--audience` given, its `aud`
/// must be one of the accepted audiences.
pub(crate) fn audience(c: &Claims<'_>, policy: &Policy) -> Finding {
    let auds = match audiences(&c.aud) {
        Claim::Present(a) => a.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    if given_audiences(policy) && !auds.iter().any(|a| policy.audiences.iter().any(|e| e == a)) {
        let actual = if auds.is_empty() {
            "(absent)".to_owned()
        } else {
            crate::text::clip(&auds.join(", "), 120)
        };
        return Finding::fail(
            AUDIENCE,
            format!("the token's aud ({actual}) is none of the audiences given"),
        )
        .expected(policy.audiences.join(", "))
        .actual(actual)
        .fix("Get a token for the audience you accept, or accept the audience the token was issued for (--audience).");
    }
    let aud = (!auds.is_empty()).then(|| auds.join(", "));
    let aud_note = aud
        .as_deref()
        .map(|a| format!(" (aud {})", crate::text::clip(a, 80)))
        .unwrap_or_default();
    let login_fix = "Get a token with the scope all-apis: 'databricks auth login --host <host>' (scopes default to all-apis), or for a service principal POST <host>/oidc/v1/token with grant_type=client_credentials and scope=all-apis.";
    let o = scope_decide(c);
    let f = match &o {
        ScopeOutcome::AllApis(s) => Finding::pass(
            AUDIENCE,
            format!("for every Databricks REST API of its host (scope '{s}'){aud_note}"),
        )
        .actual(s.clone()),
        ScopeOutcome::SqlOnly(s) => Finding::warn(
            AUDIENCE,
            format!("for the SQL APIs only (scope '{s}', no all-apis){aud_note}: other REST APIs refuse it"),
        )
        .expected("all-apis")
        .actual(s.clone())
        .fix(login_fix),
        ScopeOutcome::NoApi(s) => Finding::fail(
            AUDIENCE,
            format!("its scope '{}' grants no Databricks API (neither all-apis nor sql){aud_note}", crate::text::clip(s, 120)),
        )
        .expected("all-apis (or sql)")
        .actual(s.clone())
        .fix(login_fix),
        ScopeOutcome::Missing => Finding::fail(
            AUDIENCE,
            format!("the token has no 'scope' claim: Databricks OAuth tokens say which APIs they may call{aud_note}"),
        )
        .expected("all-apis (or sql)")
        .actual("(absent)")
        .fix(login_fix),
        ScopeOutcome::Malformed(what) => Finding::fail(AUDIENCE, format!("'scope' is {what}"))
            .expected("all-apis (or sql)")
            .fix(login_fix),
    };
    debug_assert_eq!(f.status, o.status());
    f
}

/// What the host rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostOutcome<'a> {
    /// Issued by the host checked against.
    Same(DatabricksIssuer<'a>, &'a str),
    /// No host to compare with.
    NoHost(DatabricksIssuer<'a>, &'a str),
    /// An account's token on the account host, with no account ID
    /// configured to compare with.
    NoAccountId(DatabricksIssuer<'a>, &'a str),
    /// An account's token on the account host, of another account than
    /// the one configured (the one given).
    OtherAccount(DatabricksIssuer<'a>, &'a str, String),
    /// An account's token used on a workspace (the workspace decides).
    AccountOnWorkspace(DatabricksIssuer<'a>, &'a str),
    /// Another host's token.
    OtherHost(DatabricksIssuer<'a>, &'a str),
    /// `iss` missing, malformed or not Databricks' shape.
    Bad(String),
}

impl Outcome for HostOutcome<'_> {
    fn status(&self) -> Status {
        match self {
            HostOutcome::Same(..) => Status::Pass,
            // Not compared is not accepted: the host is the token's choice.
            HostOutcome::NoHost(..) | HostOutcome::NoAccountId(..) => Status::Fail,
            HostOutcome::AccountOnWorkspace(..) => Status::Warn,
            _ => Status::Fail,
        }
    }
}

/// `scheme://host[:port]` of a URL-ish text, lower-cased, no path.
fn origin(text: &str) -> String {
    let t = text.trim().trim_end_matches('/');
    let (scheme, rest) = t.split_once("://").unwrap_or(("https", t));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    )
}

fn looks_like_account_host(origin: &str) -> bool {
    origin
        .split_once("://")
        .is_some_and(|(_, h)| h.starts_with("accounts."))
}

pub(crate) fn host_decide<'a>(c: &Claims<'a>, policy: &Policy) -> HostOutcome<'a> {
    let iss = match string(&c.iss) {
        Claim::Present(s) => s,
        Claim::Missing => return HostOutcome::Bad("the token has no 'iss' claim".into()),
        Claim::Malformed(what) => return HostOutcome::Bad(format!("'iss' is {what}")),
    };
    let Some(d) = databricks_issuer(iss) else {
        return HostOutcome::Bad(format!(
            "'{}' is not a Databricks issuer",
            crate::text::clip(iss, 120)
        ));
    };
    // The host given (--workspace, a profile) or the origin of --issuer.
    let expected = policy
        .databricks_host
        .as_deref()
        .or(policy.issuer.as_deref())
        .map(origin);
    let Some(expected) = expected else {
        return HostOutcome::NoHost(d, iss);
    };
    if let Some(pinned) = &policy.issuer {
        // --issuer names the issuer exactly.
        return if pinned == iss {
            HostOutcome::Same(d, iss)
        } else {
            HostOutcome::OtherHost(d, iss)
        };
    }
    if d.origin == expected {
        // The accounts host is shared by every account: the account ID in
        // the issuer must be the one configured.
        match (d.account_id, policy.databricks_account_id.as_deref()) {
            (None, _) => HostOutcome::Same(d, iss),
            (Some(_), None) => HostOutcome::NoAccountId(d, iss),
            (Some(id), Some(want)) if id.eq_ignore_ascii_case(want.trim()) => {
                HostOutcome::Same(d, iss)
            }
            (Some(_), Some(want)) => HostOutcome::OtherAccount(d, iss, want.trim().to_owned()),
        }
    } else if d.account_id.is_some() && !looks_like_account_host(&expected) {
        HostOutcome::AccountOnWorkspace(d, iss)
    } else {
        HostOutcome::OtherHost(d, iss)
    }
}

/// The `issuer` finding of a Databricks token: which host issued it,
/// against the host it is checked on.
pub(crate) fn issuer(c: &Claims<'_>, policy: &Policy) -> Finding {
    let o = host_decide(c, policy);
    let expected = policy.issuer.clone().or_else(|| {
        policy.databricks_host.as_deref().map(|h| {
            match (
                looks_like_account_host(&origin(h)),
                &policy.databricks_account_id,
            ) {
                (true, Some(a)) => format!("{}/oidc/accounts/{}", origin(h), a.trim()),
                _ => format!("{}/oidc", origin(h)),
            }
        })
    });
    let by = |d: &DatabricksIssuer<'_>| match d.account_id {
        Some(a) => format!("the Databricks account {a} (on {})", d.origin),
        None => format!("the Databricks workspace {}", d.origin),
    };
    let f = match &o {
        HostOutcome::Same(d, iss) => Finding::pass(ISSUER, format!("issued by {}, the host checked against", by(d)))
            .expected(expected.clone().unwrap_or_default())
            .actual(*iss),
        HostOutcome::NoHost(d, iss) => Finding::fail(ISSUER, format!("issued by {}; not compared with the host you call: none was given, so not accepted (any host can issue a token in this shape)", by(d)))
            .actual(*iss)
            .fix("Give the host you call the API on with --workspace (or a profile's host): a Databricks token works only on the host that issued it, and its keys are fetched only from that host."),
        HostOutcome::NoAccountId(d, iss) => Finding::fail(ISSUER, format!("issued by {}; the account ID it must name is not configured, so not accepted (every account's tokens come from this host)", by(d)))
            .actual(*iss)
            .fix("Give the account ID the token must come from: DATABRICKS_ACCOUNT_ID, or account_id in the profile."),
        HostOutcome::OtherAccount(d, iss, want) => Finding::fail(ISSUER, format!("issued by {}, not by the account {} configured: each account accepts only its own tokens", by(d), crate::text::clip(want, 64)))
            .expected(expected.clone().unwrap_or_default())
            .actual(*iss)
            .fix(format!("Get a token from the account you call: 'databricks auth login --host {} --account-id {}'.", d.origin, crate::text::clip(want, 64))),
        HostOutcome::AccountOnWorkspace(d, iss) => {
            let host = policy.databricks_host.as_deref().map(origin).unwrap_or_default();
            Finding::warn(ISSUER, format!("issued by {}, used on the workspace {host}: a workspace accepts an account's token only when it belongs to that account and the principal has access to it", by(d)))
                .expected(expected.clone().unwrap_or_default())
                .actual(*iss)
                .fix(format!("Prefer a workspace token: 'databricks auth login --host {host}' (U2M), or for a service principal POST {host}/oidc/v1/token (M2M)."))
        }
        HostOutcome::OtherHost(d, iss) => {
            let host = policy
                .databricks_host
                .as_deref()
                .map(origin)
                .or_else(|| policy.issuer.clone())
                .unwrap_or_default();
            let what = if d.account_id.is_none() && looks_like_account_host(&host) {
                "a workspace's token used on the account host: account APIs take only the account's own tokens (/oidc/accounts/<account-id>)"
            } else {
                "a token of another Databricks host: each workspace (and account) accepts only the tokens it issued"
            };
            Finding::fail(ISSUER, format!("issued by {}, not by {host} where it is used: {what}", by(d)))
                .expected(expected.clone().unwrap_or_default())
                .actual(*iss)
                .fix(format!("Get a token from the host you call: 'databricks auth login --host {host}' (for an account host add --account-id), or the M2M token endpoint of that host."))
        }
        HostOutcome::Bad(why) => Finding::fail(ISSUER, why.clone())
            .fix("Databricks OAuth tokens name their issuer: https://<workspace>/oidc or https://<accounts host>/oidc/accounts/<account-id>."),
    };
    debug_assert_eq!(f.status, o.status());
    f
}

/// The `tenant` finding: not applicable, Databricks tokens name no tenant,
/// when the host it must come from is given (the `issuer` rule decides);
/// with a tenant pinned (`--tenant`) and no host it fails: a Databricks
/// token is no token of that Entra ID tenant.
pub(crate) fn tenant(policy: &Policy) -> Finding {
    let host_given = policy.databricks_host.is_some() || policy.issuer.is_some();
    match &policy.tenant {
        Some(_) if host_given => Finding::skip(
            TENANT,
            "not applicable: Databricks issued this token; it names no Entra ID tenant (its issuing host is checked instead)",
        ),
        None => Finding::skip(
            TENANT,
            "not applicable: Databricks issued this token; it names no Entra ID tenant",
        ),
        Some(t) => {
            let t = crate::text::clip(t, 64);
            Finding::fail(
                TENANT,
                format!("the tenant {t} is required, and Databricks issued this token: it is no token of that Entra ID tenant, and no Databricks host was given to check it against"),
            )
            .expected(t.clone())
            .actual("(none: a Databricks token)")
            .fix("Check the token with the Databricks host that issued it (--workspace) and without --tenant, or use an Entra ID token of that tenant.")
        }
    }
}

/// The `lifetime` finding, with the fix for a Databricks token (the rule
/// is the same as for Entra ID tokens).
pub(crate) fn lifetime(mut f: Finding) -> Finding {
    if f.status == Status::Fail && f.fix.is_some() {
        f.fix = Some("Get a new token: Databricks OAuth access tokens live one hour. The CLI and SDKs refresh them from the refresh token ('databricks auth token --host <host>'); if the refresh token has expired too, run 'databricks auth login --host <host>' again, or for M2M ask <host>/oidc/v1/token again.".into());
    }
    f
}

/// Who a Databricks token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientOutcome<'a> {
    /// A user, through the Databricks CLI (U2M).
    CliUser { sub: &'a str },
    /// A service principal (M2M: `sub` is its client ID).
    ServicePrincipal { sub: &'a str },
    /// A user (or principal) through another OAuth application.
    OtherClient { sub: &'a str, client: &'a str },
    /// No `client_id`.
    NoClient { sub: &'a str },
    /// No `sub`.
    NoSubject,
}

impl Outcome for ClientOutcome<'_> {
    fn status(&self) -> Status {
        match self {
            ClientOutcome::NoClient { .. } => Status::Warn,
            ClientOutcome::NoSubject => Status::Fail,
            _ => Status::Pass,
        }
    }
}

pub(crate) fn client_decide<'a>(c: &Claims<'a>) -> ClientOutcome<'a> {
    let Some(sub) = string(&c.sub).ok().filter(|s| !s.is_empty()) else {
        return ClientOutcome::NoSubject;
    };
    match string(&c.client_id).ok() {
        None => ClientOutcome::NoClient { sub },
        Some(DATABRICKS_CLI) => ClientOutcome::CliUser { sub },
        Some(client) if client.eq_ignore_ascii_case(sub) => ClientOutcome::ServicePrincipal { sub },
        Some(client) => ClientOutcome::OtherClient { sub, client },
    }
}

/// The `identity` finding of a Databricks token.
pub(crate) fn identity(c: &Claims<'_>) -> Finding {
    let o = client_decide(c);
    let f = match &o {
        ClientOutcome::CliUser { sub } => Finding::pass(
            IDENTITY,
            format!("the user {sub}, signed in with the Databricks CLI (client {DATABRICKS_CLI}, U2M)"),
        )
        .actual(*sub),
        ClientOutcome::ServicePrincipal { sub } => Finding::pass(
            IDENTITY,
            format!("the service principal with application ID {sub} (M2M: its own OAuth secret)"),
        )
        .actual(*sub),
        ClientOutcome::OtherClient { sub, client } => Finding::pass(
            IDENTITY,
            format!("{sub}, through the OAuth application {client}"),
        )
        .actual(*sub),
        ClientOutcome::NoClient { sub } => Finding::warn(
            IDENTITY,
            format!("{sub}; the token has no 'client_id': Databricks OAuth tokens name the application that asked for them"),
        )
        .actual(*sub)
        .fix("Check how the token was obtained: databricks-cli (U2M) or a service principal's application ID (M2M)."),
        ClientOutcome::NoSubject => Finding::fail(
            IDENTITY,
            "the token has no 'sub': it names no user or service principal",
        )
        .fix("Databricks OAuth tokens always carry 'sub'; get a new token from the workspace."),
    };
    debug_assert_eq!(f.status, o.status());
    f
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

    const WS: &str = "https://adb-1.2.azuredatabricks.net";

    fn policy(host: Option<&str>) -> Policy {
        let mut p = Policy::databricks(2000);
        p.databricks_host = host.map(str::to_owned);
        p
    }

    #[test]
    fn scopes_all_apis_sql_and_none() {
        let s = |scope: &str| {
            let t = token(&format!(r#"{{"scope":{scope}}}"#));
            audience(&t.claims(), &policy(None)).status
        };
        assert_eq!(s(r#""offline_access all-apis""#), Status::Pass);
        assert_eq!(s(r#"["all-apis"]"#), Status::Pass);
        assert_eq!(s(r#""sql""#), Status::Warn);
        assert_eq!(s(r#""openid profile""#), Status::Fail);
        assert_eq!(s("5"), Status::Fail);
        let t = token("{}");
        assert_eq!(audience(&t.claims(), &policy(None)).status, Status::Fail);
    }

    #[test]
    fn the_issuing_host_must_be_the_host_checked_against() {
        let ws_token = token(&format!(r#"{{"iss":"{WS}/oidc"}}"#));
        let c = ws_token.claims();
        assert_eq!(issuer(&c, &policy(Some(WS))).status, Status::Pass);
        assert_eq!(
            issuer(&c, &policy(Some("https://ADB-1.2.azuredatabricks.net/"))).status,
            Status::Pass
        );
        assert_eq!(issuer(&c, &policy(None)).status, Status::Fail);
        let other = issuer(&c, &policy(Some("https://adb-9.9.azuredatabricks.net")));
        assert_eq!(other.status, Status::Fail);
        assert!(
            other.message.contains("another Databricks host"),
            "{}",
            other.message
        );
        let acct_host = issuer(&c, &policy(Some("https://accounts.azuredatabricks.net")));
        assert_eq!(acct_host.status, Status::Fail);
        assert!(
            acct_host.message.contains("account host"),
            "{}",
            acct_host.message
        );

        let acct = token(r#"{"iss":"https://accounts.azuredatabricks.net/oidc/accounts/abc-1"}"#);
        let c = acct.claims();
        assert_eq!(issuer(&c, &policy(Some(WS))).status, Status::Warn);
        let mut on_accounts = policy(Some("https://accounts.azuredatabricks.net"));
        assert_eq!(issuer(&c, &on_accounts).status, Status::Fail);
        on_accounts.databricks_account_id = Some("abc-1".into());
        assert_eq!(issuer(&c, &on_accounts).status, Status::Pass);
        let mut pinned = policy(None);
        pinned.issuer = Some("https://accounts.azuredatabricks.net/oidc/accounts/other".into());
        assert_eq!(issuer(&c, &pinned).status, Status::Fail);
        let t = token(r#"{"iss":"https://sts.windows.net/x/"}"#);
        assert_eq!(issuer(&t.claims(), &policy(Some(WS))).status, Status::Fail);
    }

    #[test]
    fn the_client_tells_cli_users_service_principals_and_apps() {
        let id = |claims: &str| client_decide(&token(claims).claims()).status();
        let t = token(r#"{"sub":"a@b.c","client_id":"databricks-cli"}"#);
        assert!(matches!(
            client_decide(&t.claims()),
            ClientOutcome::CliUser { .. }
        ));
        let t = token(r#"{"sub":"5B2C","client_id":"5b2c"}"#);
        assert!(matches!(
            client_decide(&t.claims()),
            ClientOutcome::ServicePrincipal { .. }
        ));
        let t = token(r#"{"sub":"a@b.c","client_id":"my-app"}"#);
        assert!(matches!(
            client_decide(&t.claims()),
            ClientOutcome::OtherClient { .. }
        ));
        assert_eq!(id(r#"{"sub":"a@b.c"}"#), Status::Warn);
        assert_eq!(id(r#"{"client_id":"databricks-cli"}"#), Status::Fail);
        for claims in [
            r#"{"sub":"a@b.c","client_id":"databricks-cli"}"#,
            r#"{"sub":"a"}"#,
            "{}",
        ] {
            let t = token(claims);
            assert_eq!(
                identity(&t.claims()).status,
                client_decide(&t.claims()).status()
            );
        }
    }
}

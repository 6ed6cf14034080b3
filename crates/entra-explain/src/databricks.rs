//! What an Azure Databricks 400/401/403 answer says about the token: wrong
//! audience or issuer (`io.jsonwebtoken.IncorrectClaimException`), expiry
//! (`ExpiredJwtException`), `Invalid access token`, a user or service
//! principal missing from the workspace, an IP access list, and the rest.

use serde::Serialize;

use super::scan::{self, contains_ci, find_ci};
use entra_token::catalogue::resources::{self, AZURE_DATABRICKS};

/// The kind of problem a Databricks answer points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabricksProblem {
    /// `aud` is not the Azure Databricks resource.
    WrongAudience,
    /// `iss` names another tenant (or another issuer form).
    WrongIssuer,
    /// Another claim did not have the value Databricks expected.
    WrongClaim,
    /// The token's `exp` has passed.
    Expired,
    /// `Invalid access token`: the token could not be validated at all.
    InvalidToken,
    /// The identity is valid but not a user of the workspace.
    NotAuthorized,
    /// The caller's IP address is blocked by the workspace IP access list.
    IpBlocked,
    /// No credential, or not a bearer token, reached Databricks.
    CredentialNotSent,
    /// `Unable to load OAuth Config`.
    OAuthConfig,
    /// A bare 401 with no detail.
    Unauthorized,
    /// A bare 403 / PERMISSION_DENIED with no detail.
    Forbidden,
    /// A claim Databricks requires is absent (`MissingClaimException`).
    MissingClaim,
    /// The token's `nbf` is in the future (`PrematureJwtException`).
    NotYetValid,
    /// The signature did not verify, or the key or algorithm is not one
    /// Databricks trusts (`SignatureException`).
    BadSignature,
    /// Not a well-formed signed JWT (`MalformedJwtException`,
    /// `UnsupportedJwtException`).
    Malformed,
    /// The user or service principal is deactivated in the workspace.
    Deactivated,
    /// Personal access tokens are turned off for the workspace.
    PatsDisabled,
    /// Databricks OAuth (`/oidc/v1/token`): `invalid_client`, the client ID
    /// or OAuth secret is wrong.
    #[serde(rename = "oauth_invalid_client")]
    OAuthInvalidClient,
    /// Databricks OAuth: `invalid_grant` without more detail.
    #[serde(rename = "oauth_invalid_grant")]
    OAuthInvalidGrant,
    /// Databricks OAuth: the refresh token is invalid, expired or revoked.
    RefreshTokenInvalid,
    /// Databricks OAuth: the authorization code is invalid, spent, expired,
    /// or redeemed with another redirect URI.
    AuthorizationCodeInvalid,
    /// Databricks OAuth: the PKCE `code_verifier` does not match the
    /// `code_challenge` of the authorization request.
    PkceMismatch,
    /// Databricks OAuth: the redirect URI is not registered for the OAuth
    /// application.
    RedirectUriNotRegistered,
    /// Databricks OAuth: the OAuth application (client ID) is not enabled
    /// for the account.
    #[serde(rename = "oauth_app_not_enabled")]
    OAuthAppNotEnabled,
    /// The host does not serve Databricks OAuth (not a Databricks host, or
    /// a wrong one).
    #[serde(rename = "oauth_not_supported")]
    OAuthNotSupported,
    /// Databricks token federation: no federation policy accepts the
    /// external token (issuer, audience, subject, signature, expiry).
    FederationPolicyMismatch,
    /// Databricks OAuth: the user or service principal is not active in the
    /// workspace.
    #[serde(rename = "oauth_principal_inactive")]
    OAuthPrincipalInactive,
    /// Databricks OAuth: a scope other than `all-apis`, `sql`,
    /// `offline_access` was asked for.
    #[serde(rename = "oauth_invalid_scope")]
    OAuthInvalidScope,
    /// Databricks OAuth refused the request for a reason not listed here.
    #[serde(rename = "oauth_refused")]
    OAuthRefused,
}

impl DatabricksProblem {
    /// Whether this is a refusal of Databricks' OAuth token endpoint (or its
    /// authorize page), rather than of a token sent to an API.
    pub fn is_token_endpoint(self) -> bool {
        use DatabricksProblem as P;
        matches!(
            self,
            P::OAuthInvalidClient
                | P::OAuthInvalidGrant
                | P::RefreshTokenInvalid
                | P::AuthorizationCodeInvalid
                | P::PkceMismatch
                | P::RedirectUriNotRegistered
                | P::OAuthAppNotEnabled
                | P::OAuthNotSupported
                | P::FederationPolicyMismatch
                | P::OAuthPrincipalInactive
                | P::OAuthInvalidScope
                | P::OAuthRefused
        )
    }
}

/// One problem found in a Databricks answer, with its cause and fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabricksFinding {
    /// What kind of problem it is.
    pub problem: DatabricksProblem,
    /// The claim concerned, for claim mismatches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    /// What Databricks expected, when it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the token had, when it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// Why Databricks refused, in our words.
    pub cause: String,
    /// What to do about it.
    pub fix: String,
}

const GET_TOKEN: &str =
    "az account get-access-token --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";

/// The HTTP status an answer names (`Error 401`, `HTTP ERROR 403`,
/// `403 Forbidden`, `status code 401`, …), if any.
pub(crate) fn http_status(text: &str) -> Option<u16> {
    const BEFORE: [&str; 10] = [
        "http error ",
        "error ",
        "http ",
        "http/1.1 ",
        "http/2 ",
        "status code ",
        "status code: ",
        "status: ",
        "status ",
        "statuscode: ",
    ];
    for status in [401u16, 403, 400] {
        let s = status.to_string();
        let found_before = BEFORE.iter().any(|p| number_after(text, p, &s));
        let found_after = contains_ci(text, &format!("{s} unauthorized"))
            || contains_ci(text, &format!("{s} forbidden"))
            || contains_ci(text, &format!("({s})"));
        if found_before || found_after {
            return Some(status);
        }
    }
    None
}

fn number_after(text: &str, prefix: &str, digits: &str) -> bool {
    let needle = format!("{prefix}{digits}");
    let mut from = 0;
    while let Some(at) = find_ci(text, &needle, from) {
        from = at + needle.len();
        let before_ok = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = text[from..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_digit());
        if before_ok && after_ok {
            return true;
        }
    }
    false
}

/// Reads a value up to the end of its line, a quote or a tag.
fn value_until_end(s: &str) -> String {
    let mut end = s.len();
    for stop in ["\"", "<", "\n", "\r", "\\n", "\\r", "\\\""] {
        if let Some(i) = s.find(stop) {
            end = end.min(i);
        }
    }
    let v = s[..end].trim();
    let v = v.strip_suffix('.').unwrap_or(v).trim();
    v.trim_start_matches('[')
        .trim_end_matches(']')
        .trim()
        .to_owned()
}

/// `Expected <claim> claim to be: <x>, but was: <y>` (jjwt's wording).
fn claim_mismatches(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find_ci(text, "expected ", from) {
        from = at + 9;
        let rest = &text[from..];
        let Some(mid) = find_ci(rest, " claim to be:", 0) else {
            continue;
        };
        let claim = rest[..mid].trim().trim_matches(|c| c == '\'' || c == '"');
        if claim.is_empty() || claim.len() > 40 || claim.contains(char::is_whitespace) {
            continue;
        }
        let after = &rest[mid + 13..];
        let Some(sep) = find_ci(after, ", but was:", 0) else {
            continue;
        };
        let expected = after[..sep]
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim()
            .to_owned();
        let found = value_until_end(&after[sep + 10..]);
        out.push((claim.to_owned(), expected, found));
        if out.len() >= 8 {
            break;
        }
    }
    out
}

/// `Expected <claim> claim to be: <x>, but was not present` (jjwt's
/// MissingClaimException).
fn missing_claims(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find_ci(text, "expected ", from) {
        from = at + 9;
        let rest = &text[from..];
        let Some(mid) = find_ci(rest, " claim to be:", 0) else {
            continue;
        };
        let claim = rest[..mid].trim().trim_matches(|c| c == '\'' || c == '"');
        let after = &rest[mid + 13..];
        let Some(sep) = find_ci(after, ", but was not present", 0) else {
            continue;
        };
        if claim.is_empty() || claim.len() > 40 || claim.contains(char::is_whitespace) {
            continue;
        }
        out.push((claim.to_owned(), after[..sep].trim().to_owned()));
        if out.len() >= 8 {
            break;
        }
    }
    out
}

/// The tenant segment of an Entra issuer (`https://sts.windows.net/<t>/`,
/// `https://login.microsoftonline.com/<t>/v2.0`).
pub(crate) fn issuer_tenant(iss: &str) -> Option<&str> {
    let rest = iss.split_once("://")?.1;
    let mut parts = rest.split('/');
    parts.next()?;
    parts.next().filter(|t| !t.is_empty())
}

fn audience_finding(expected: String, found: String) -> DatabricksFinding {
    let named = resources::lookup(&found).map(|r| r.name);
    let is_databricks = expected.contains(AZURE_DATABRICKS) || expected.is_empty();
    let mut cause = match named {
        Some(name) => format!("Databricks rejected the token because its audience (aud) is `{found}`, which is {name}, not the Azure Databricks resource `{expected}`."),
        None => format!("Databricks rejected the token because its audience (aud) is `{found}` instead of `{expected}`."),
    };
    if named == Some("Azure Resource Manager") {
        cause.push_str(" This is what a plain `az account get-access-token` (without --resource) or a token for https://management.azure.com returns.");
    }
    let fix = if is_databricks {
        format!(
            "Request the token for the Azure Databricks resource: `{GET_TOKEN}` with the Azure CLI, or the scope `{AZURE_DATABRICKS}/.default` with MSAL or azure-identity. (An Azure Resource Manager token is only used as an extra X-Databricks-Azure-SP-Management-Token header, never as the bearer token.)"
        )
    } else {
        format!(
            "Request the token for the audience Databricks expects: scope `{expected}/.default`."
        )
    };
    DatabricksFinding {
        problem: DatabricksProblem::WrongAudience,
        claim: Some("aud".into()),
        expected: Some(expected),
        found: Some(found),
        cause,
        fix,
    }
}

fn issuer_finding(expected: String, found: String) -> DatabricksFinding {
    let (et, ft) = (issuer_tenant(&expected), issuer_tenant(&found));
    let (cause, fix) = match (et, ft) {
        (Some(et), Some(ft)) if !et.eq_ignore_ascii_case(ft) => (
            format!("The token was issued by tenant `{ft}`, but the workspace belongs to tenant `{et}`. Databricks only accepts Entra tokens from the tenant that holds the workspace."),
            format!("Get the token from tenant `{et}`: `az login --tenant {et}` then `{GET_TOKEN} --tenant {et}`, or use the authority https://login.microsoftonline.com/{et} with MSAL or azure-identity (for the Databricks SDK or CLI set azure_tenant_id / ARM_TENANT_ID). A guest user must sign in through that tenant, not their home tenant."),
        ),
        _ => (
            format!("Databricks expected the issuer `{expected}` but the token has `{found}`: the token comes from another issuer or endpoint form (v1 sts.windows.net vs v2 login.microsoftonline.com/…/v2.0)."),
            format!("Request the token from the workspace's tenant for resource `{AZURE_DATABRICKS}` (Entra then issues the form Databricks expects), e.g. `{GET_TOKEN} --tenant <tenant-id>`."),
        ),
    };
    DatabricksFinding {
        problem: DatabricksProblem::WrongIssuer,
        claim: Some("iss".into()),
        expected: Some(expected),
        found: Some(found),
        cause,
        fix,
    }
}

fn expiry_finding(text: &str) -> DatabricksFinding {
    let expired_at = find_ci(text, "expired at ", 0).map(|i| value_until_comma(&text[i + 11..]));
    let now = find_ci(text, "current time: ", 0).map(|i| value_until_comma(&text[i + 14..]));
    let mut cause = String::from(
        "Databricks rejected the token because it has expired (its exp claim is in the past).",
    );
    if let Some(at) = &expired_at {
        cause.push_str(&format!(" It expired at {at}"));
        if let Some(now) = &now {
            cause.push_str(&format!("; Databricks' clock said {now}"));
        }
        cause.push('.');
    }
    cause.push_str(" Entra access tokens live about 60 to 90 minutes.");
    DatabricksFinding {
        problem: DatabricksProblem::Expired,
        claim: Some("exp".into()),
        expected: now,
        found: expired_at,
        cause,
        fix: format!("Get a fresh token (`{GET_TOKEN}`) and let the client refresh it before it expires instead of storing a token in a config file or secret; the Databricks SDKs and CLI do this when configured with azure-cli, service principal or managed identity auth. If a brand-new token is rejected, check the clock of the machine that requested it."),
    }
}

fn value_until_comma(s: &str) -> String {
    let v = value_until_end(s);
    v.split(". ")
        .next()
        .unwrap_or("")
        .split(',')
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches('.')
        .to_owned()
}

fn simple(problem: DatabricksProblem, cause: &str, fix: &str) -> DatabricksFinding {
    DatabricksFinding {
        problem,
        claim: None,
        expected: None,
        found: None,
        cause: cause.to_owned(),
        fix: fix.to_owned(),
    }
}

/// Classifies an Azure Databricks answer: every problem `text` (the body, or
/// its message) states, most specific first, each with the claim and values
/// it names. `status` is the HTTP status when known. This is the one
/// classifier of Databricks' answers: `explain` renders its findings as
/// advice, `check`'s membership step as a finding.
pub fn classify_databricks_answer(status: Option<u16>, text: &str) -> Vec<DatabricksFinding> {
    scan(text, status)
}

/// Problems a Databricks answer states in so many words: any of the
/// markers, the problem, our cause and fix.
const STATED: &[(&[&str], DatabricksProblem, &str, &str)] = &[
    (
        &["PrematureJwtException", "must not be accepted before"],
        DatabricksProblem::NotYetValid,
        "Databricks refused the token because it is not valid yet (its nbf claim is in the future): the clock of the machine that got it, or Databricks', is off.",
        "Synchronise the clock (NTP) of the machine that requested the token, or wait a minute and retry.",
    ),
    (
        &["SignatureException"],
        DatabricksProblem::BadSignature,
        "Databricks could not verify the token's signature with the keys of the issuer it trusts: the token was altered or truncated, signed with another algorithm than RS256, or issued by another identity provider or tenant.",
        "Copy the token again whole, or get a new one from Entra ID for Azure Databricks; `entra-doctor check` shows whether its signature verifies with the tenant's keys.",
    ),
    (
        &["MalformedJwtException", "UnsupportedJwtException"],
        DatabricksProblem::Malformed,
        "What Databricks received is not a well-formed signed JWT (a cut or wrapped token, quotes or whitespace inside it, an unsigned token, or something that is not a token).",
        "Send the access token itself, whole and on one line, as `Authorization: Bearer <token>`.",
    ),
    (
        &["Unable to load OAuth Config"],
        DatabricksProblem::OAuthConfig,
        "Databricks could not load the Entra ID (OAuth) configuration that matches the token: the token was usually issued by a tenant other than the one the workspace belongs to (a guest's home tenant, a multi-tenant app signed in elsewhere), or the request went to the wrong host (for example an account-console URL with a workspace token).",
        "Get the token from the workspace's own tenant (authority https://login.microsoftonline.com/<workspace-tenant-id>, or `az login --tenant <workspace-tenant-id>`), for resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, and check the workspace URL (https://adb-<id>.<n>.azuredatabricks.net).",
    ),
    (
        &["Credential was not sent", "unsupported type for this API"],
        DatabricksProblem::CredentialNotSent,
        "No usable credential reached Databricks: the Authorization header is missing, empty, or not of the form `Bearer <token>` (a proxy may also have removed it).",
        "Send the header `Authorization: Bearer <token>` with the token on one line, and check that no proxy or redirect drops it (curl drops it when following a redirect to another host).",
    ),
    (
        &["Invalid access token"],
        DatabricksProblem::InvalidToken,
        "Databricks could not validate the bearer token: it may be truncated or mangled, a personal access token that was revoked or has expired, an Entra token for another tenant or audience, or not a token at all.",
        "Run `entra-doctor check` on the exact token you send to see which rule fails. For Entra tokens: aud must be 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, iss the workspace's tenant, and exp in the future. For a personal access token, create a new one.",
    ),
    (
        &["deactivated"],
        DatabricksProblem::Deactivated,
        "The user or service principal exists in the workspace but is deactivated.",
        "A workspace admin reactivates it (Settings > Identity and access, or SCIM `active: true`); for identities synced from the account or Entra ID, in the account console.",
    ),
    (
        // Only with "disabled" or "not enabled" in the same clause (see
        // `pats_switched_off`): Databricks words it for the workspace and for
        // one user.
        &["personal access token"],
        DatabricksProblem::PatsDisabled,
        "The workspace admin turned personal access tokens off: every PAT is refused, valid or not.",
        "Use OAuth instead: `databricks auth login --host <workspace-url>` for a user (databricks-cli), a service principal's OAuth secret (oauth-m2m) or an Entra ID token; or ask an admin to allow PATs (Settings > Advanced > Personal access tokens).",
    ),
];

/// Whether one clause of `text` says personal access tokens are off
/// ("Personal access tokens are disabled for this workspace", "… is not
/// enabled for this user"). A clause is cut at `.`, `!`, `?`, `;`, `:` and
/// line ends; a text naming an AADSTS code is Entra's, not Databricks'
/// ("cannot create personal access token: AADSTS50057: The user account is
/// disabled" is about the account).
fn pats_switched_off(text: &str) -> bool {
    let mut clauses = text.split(['.', '!', '?', ';', ':', '\n']);
    !contains_ci(text, "AADSTS")
        && clauses.any(|c| {
            contains_ci(c, "personal access token")
                && (contains_ci(c, "disabled") || contains_ci(c, "not enabled"))
        })
}

/// Adds `problem` when `text` states it (see [`STATED`]).
fn said(text: &str, problem: DatabricksProblem, out: &mut Vec<DatabricksFinding>) {
    if let Some((_, p, cause, fix)) = STATED
        .iter()
        .find(|(markers, p, _, _)| *p == problem && markers.iter().any(|m| contains_ci(text, m)))
    {
        out.push(simple(*p, cause, fix));
    }
}

/// Finds every Databricks problem `text` states. `status` is the HTTP status
/// already known (from an `error_code` field, say), if any.
pub(crate) fn scan(text: &str, status: Option<u16>) -> Vec<DatabricksFinding> {
    let mut out = Vec::new();
    let jwt_exception =
        contains_ci(text, "IncorrectClaimException") || contains_ci(text, "io.jsonwebtoken");
    for (claim, expected, found) in claim_mismatches(text) {
        match claim.as_str() {
            "aud" => out.push(audience_finding(expected, found)),
            "iss" => out.push(issuer_finding(expected, found)),
            _ => out.push(DatabricksFinding {
                problem: DatabricksProblem::WrongClaim,
                claim: Some(claim.clone()),
                cause: format!("Databricks expected the token's `{claim}` claim to be `{expected}` but it was `{found}`."),
                fix: "Decode the token (`entra-doctor check`) and request one whose claim has the expected value: the right tenant, resource and identity.".into(),
                expected: Some(expected),
                found: Some(found),
            }),
        }
    }
    if jwt_exception && out.is_empty() && contains_ci(text, "IncorrectClaimException") {
        out.push(simple(
            DatabricksProblem::WrongClaim,
            "Databricks found a claim in the token with a value it does not accept (IncorrectClaimException), usually the audience (aud) or issuer (iss).",
            "Decode the token (`entra-doctor check`): aud must be 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d and iss must name the workspace's tenant.",
        ));
    }
    for (claim, expected) in missing_claims(text) {
        out.push(DatabricksFinding {
            problem: DatabricksProblem::MissingClaim,
            cause: format!("Databricks expected the token to carry the `{claim}` claim (`{expected}`), and it has none."),
            fix: if claim == "aud" {
                format!("Request the token for Azure Databricks: `{GET_TOKEN}`, or the scope `{AZURE_DATABRICKS}/.default`.")
            } else {
                "Decode the token (`entra-doctor check`): send an access token Entra ID issued for Azure Databricks, not an ID token or a token of another issuer.".into()
            },
            claim: Some(claim),
            expected: Some(expected),
            found: None,
        });
    }
    if contains_ci(text, "ExpiredJwtException") || contains_ci(text, "JWT expired at") {
        out.push(expiry_finding(text));
    }
    said(text, DatabricksProblem::NotYetValid, &mut out);
    said(text, DatabricksProblem::BadSignature, &mut out);
    said(text, DatabricksProblem::Malformed, &mut out);
    said(text, DatabricksProblem::OAuthConfig, &mut out);
    if let Some(at) = find_ci(text, "Source IP address", 0)
        .filter(|_| contains_ci(text, "IP ACL") || contains_ci(text, "is blocked"))
    {
        let ip: String = text[at + 17..]
            .trim_start_matches([':', ' '])
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == '.' || *c == ':')
            .collect();
        let ip = ip.trim_end_matches([':', '.']).to_owned();
        out.push(DatabricksFinding {
            problem: DatabricksProblem::IpBlocked,
            claim: None,
            expected: None,
            found: (!ip.is_empty()).then(|| ip.clone()),
            cause: "The token may be fine: the workspace's IP access list does not allow the address the request came from.".into(),
            fix: "Call from an allowed network (VPN, agent in the allowed range), or have a workspace admin add the address to the IP access list (Settings > Security > IP access list, or the ip-access-lists API).".into(),
        });
    }
    said(text, DatabricksProblem::CredentialNotSent, &mut out);
    said(text, DatabricksProblem::InvalidToken, &mut out);
    said(text, DatabricksProblem::Deactivated, &mut out);
    if pats_switched_off(text) {
        said(text, DatabricksProblem::PatsDisabled, &mut out);
    }
    out.extend(token_endpoint(text, None, None));
    let not_member = [
        "User not authorized",
        "not authorized to access this workspace",
        "is not a member of",
        "is not part of org",
        "not part of the workspace",
        "does not have access to this workspace",
        "is not a user of",
    ];
    if not_member.iter().any(|p| contains_ci(text, p)) {
        out.push(simple(
            DatabricksProblem::NotAuthorized,
            "The token is valid, but the user or service principal in it is not a user of this workspace (or lacks the workspace-access entitlement).",
            "A workspace admin adds the identity: Settings > Identity and access > Users or Service principals (a service principal by its application/client ID), or through account-level identity federation / SCIM sync, and keeps the 'Workspace access' entitlement on. Users with the Owner or Contributor role on the workspace's Azure resource are added as admins on their first sign-in to the workspace UI.",
        ));
    }
    if out.is_empty() {
        let forbidden = status == Some(403)
            || contains_ci(text, "PERMISSION_DENIED")
            || contains_ci(text, "403 Forbidden");
        if forbidden {
            out.push(simple(
                DatabricksProblem::Forbidden,
                "Databricks accepted who you are but refused the action (HTTP 403): the identity lacks permission on the object or an entitlement, is not in the workspace, or an IP access list applies.",
                "Check the identity's permissions on the object (cluster, job, warehouse, catalog) and its workspace entitlements; if the body mentions the IP access list, call from an allowed network.",
            ));
        } else if status == Some(401)
            || contains_ci(text, "401 Unauthorized")
            || contains_ci(text, "UNAUTHENTICATED")
        {
            out.push(simple(
                DatabricksProblem::Unauthorized,
                "Databricks refused the credentials (HTTP 401) without giving a reason.",
                "Run `entra-doctor check` on the token: aud must be 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, iss the workspace's tenant, exp in the future, and the identity must be a user or service principal of the workspace.",
            ));
        }
    }
    out
}

/// `value_after` for a quoted value only.
fn quoted_after(text: &str, marker: &str) -> Option<String> {
    let at = find_ci(text, marker, 0)?;
    let rest = text[at + marker.len()..].trim_start();
    if !rest.starts_with('\'') && !rest.starts_with('"') {
        return None;
    }
    scan::value_after(&text[at..], marker)
}

/// What Databricks' OAuth endpoints (`/oidc/v1/token`, `/oidc/v1/authorize`,
/// the account's `/oidc/accounts/<id>/v1/…`) and the SDKs' OAuth errors say.
/// `error` is the answer's OAuth `error`, `host` the workspace or account
/// URL, when the caller knows them. Entra's own errors (with an AADSTS code)
/// are not Databricks': nothing is found in them.
pub(crate) fn token_endpoint(
    text: &str,
    error: Option<&str>,
    host: Option<&str>,
) -> Vec<DatabricksFinding> {
    use DatabricksProblem as P;
    if contains_ci(text, "AADSTS") {
        return Vec::new();
    }
    let host_arg = host.map_or_else(
        || "<host>".to_owned(),
        |h| h.trim_end_matches('/').to_owned(),
    );
    let login = format!("databricks auth login --host {host_arg}");
    let error = error
        .map(str::to_owned)
        .or_else(|| scan::oauth_error_word(text).map(str::to_owned))
        .unwrap_or_default();
    let mut out = Vec::new();
    let finding =
        |problem, found: Option<String>, expected: Option<String>, cause: String, fix: String| {
            DatabricksFinding {
                problem,
                claim: None,
                expected,
                found,
                cause,
                fix,
            }
        };
    if contains_ci(text, "not registered for OAuth application")
        || (contains_ci(text, "redirect_uri") && contains_ci(text, "is not registered for client"))
    {
        let uri = quoted_after(text, "redirect_uri ");
        let app =
            quoted_after(text, "OAuth application ").or_else(|| quoted_after(text, "for client "));
        let app_name = app
            .clone()
            .unwrap_or_else(|| "the OAuth application".into());
        let mut fix = format!(
            "Use a redirect URI registered for {app_name}, exactly (scheme, host, port and path)."
        );
        if app.as_deref() == Some("databricks-cli") {
            fix.push_str(" The databricks-cli application accepts http://localhost:8020: use a Databricks CLI or SDK that listens there (a release that picked a random port was refused this way; upgrade), and keep port 8020 free.");
        } else {
            fix.push_str(" An account admin adds the URI to the app connection: account console > Settings > App connections > the app > Redirect URLs, or `databricks account custom-app-integration update <integration-id> --json '{\"redirect_urls\": [\"<uri>\"]}'`.");
        }
        out.push(finding(
            P::RedirectUriNotRegistered,
            uri.clone(),
            app,
            format!("Databricks refused the sign-in because the redirect URI{} is not one registered for {app_name}.", uri.as_deref().map(|u| format!(" `{u}`")).unwrap_or_default()),
            fix,
        ));
    }
    if contains_ci(text, "not available in Databricks account")
        || (contains_ci(text, "invalid_client")
            && contains_ci(text, "is not registered")
            && !contains_ci(text, "redirect_uri"))
    {
        let client = quoted_after(text, "client_id: ").or_else(|| quoted_after(text, "Client "));
        let shown = client.clone().unwrap_or_else(|| "<client-id>".into());
        out.push(finding(
            P::OAuthAppNotEnabled,
            client,
            None,
            format!("The OAuth application `{shown}` is not enabled (registered) for this Databricks account, so the workspace does not know the client ID."),
            format!("An account admin enables it: account console > Settings > App connections (a published app such as databricks-cli or dbt-databricks: `databricks account published-app-integration create --json '{{\"app_id\": \"{shown}\"}}'`; your own app: `databricks account custom-app-integration create`). Or use the client ID of an app that is enabled (the Databricks CLI's own is databricks-cli)."),
        ));
    }
    if contains_ci(text, "OAuth is not supported for this host")
        || contains_ci(text, "OAuth is not configured for this host")
    {
        out.push(finding(
            P::OAuthNotSupported,
            host.map(str::to_owned),
            None,
            format!("{host_arg} does not serve Databricks OAuth (its /oidc/.well-known/oauth-authorization-server is missing): it is not an Azure Databricks workspace or account host, it is mistyped, or it is a proxy or private-link name that does not pass /oidc through."),
            format!("Check the host: a workspace is https://adb-<workspace-id>.<n>.azuredatabricks.net, the account is https://accounts.azuredatabricks.net with account_id; `curl -s {host_arg}/oidc/.well-known/oauth-authorization-server` must return JSON. With an Entra ID service principal (not a Databricks OAuth secret) use azure-client-secret (azure_client_id, azure_client_secret, azure_tenant_id) instead of oauth-m2m."),
        ));
    }
    if contains_ci(text, "refresh token is invalid")
        || contains_ci(text, "refresh_token is invalid")
    {
        out.push(finding(
            P::RefreshTokenInvalid,
            None,
            None,
            "Databricks refused the refresh token: it expired, was revoked (the user signed out, an admin revoked the app's tokens) or was already used (refresh tokens rotate: each is spent when redeemed).".into(),
            format!("Sign in again: `{login}` (or --profile <name>); the CLI then stores a new refresh token in ~/.databricks/token-cache.json. Tools that keep their own copy must store the new refresh token returned by every refresh."),
        ));
    }
    if contains_ci(text, "Authorization code is invalid")
        || contains_ci(
            text,
            "redirect_uri does not match the one of the authorization request",
        )
    {
        out.push(finding(
            P::AuthorizationCodeInvalid,
            None,
            None,
            "Databricks refused the authorization code: it was already redeemed, it expired (codes live minutes), it is from another workspace, or the redirect_uri sent with it is not the one of the authorization request.".into(),
            format!("Start the sign-in again (`{login}`) and redeem the new code once, right away, with the same redirect_uri and client_id as the authorization request."),
        ));
    }
    if contains_ci(text, "PKCE verification failed")
        || contains_ci(text, "code_verifier does not match")
        || (error == "invalid_grant" && contains_ci(text, "code_verifier"))
    {
        out.push(finding(
            P::PkceMismatch,
            None,
            None,
            "Databricks refused the code because the PKCE code_verifier sent with it is not the one whose S256 hash was the code_challenge of the authorization request: two sign-ins were mixed, or the client kept the wrong verifier.".into(),
            format!("Start one sign-in again (`{login}`) and finish it before starting another; a custom client must send, with the code, the exact verifier it generated for that authorization request (code_challenge = BASE64URL(SHA256(verifier)), method S256)."),
        ));
    }
    if contains_ci(text, "Token exchange failed")
        || (contains_ci(text, "federation polic")
            && !contains_ci(text, "federated identity record"))
    {
        let (claim, found, what) = federation_detail(text);
        out.push(DatabricksFinding {
            problem: P::FederationPolicyMismatch,
            claim: claim.map(str::to_owned),
            expected: None,
            found,
            cause: format!("Databricks refused the token exchange (token federation): {what}"),
            fix: "Compare the external token (`entra-doctor decode` on it) with the federation policy: `databricks account federation-policy list` (account-wide) or `databricks account service-principal-federation-policy list <service-principal-id>`. The issuer must equal the policy's issuer exactly; the token's aud must be one of the policy's audiences (by default the Databricks account ID); the policy's subject must equal the claim named by subject_claim (default sub); the token must be signed RS256 or ES256 with a key the issuer publishes, and not be expired. For a service principal policy send client_id (the service principal's application ID) with the exchange.".into(),
        });
    }
    if contains_ci(text, "is not active in this workspace")
        || contains_ci(text, "not an active member")
    {
        out.push(finding(
            P::OAuthPrincipalInactive,
            None,
            None,
            "The credentials are right, but the user or service principal is not an active member of this workspace.".into(),
            "A workspace admin adds (or reactivates) it: Settings > Identity and access > Users or Service principals, or assigns it to the workspace from the account console.".into(),
        ));
    }
    if error == "invalid_scope" || (contains_ci(text, "Invalid scope") && out.is_empty()) {
        out.push(finding(
            P::OAuthInvalidScope,
            find_ci(text, "Invalid scope: ", 0).map(|i| value_until_end(&text[i + 15..])),
            Some("all-apis, sql, offline_access".into()),
            "Databricks OAuth does not know a scope that was asked for.".into(),
            "Ask for `all-apis` (add `offline_access` for a refresh token); `sql` for SQL only. Entra scopes such as 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default belong to Entra's token endpoint, not to Databricks'.".into(),
        ));
    }
    let client_failed = error == "invalid_client"
        || (contains_ci(text, "invalid_client")
            && contains_ci(text, "Client authentication failed"));
    if out.is_empty() && client_failed {
        out.push(finding(
            P::OAuthInvalidClient,
            None,
            None,
            "Databricks could not authenticate the client: the client ID is not a service principal of this workspace or account, or the OAuth secret is wrong, expired or deleted. An Entra ID app's client secret is not a Databricks OAuth secret.".into(),
            "For oauth-m2m use the service principal's application ID as client_id and a Databricks OAuth secret (Settings > Identity and access > Service principals > the principal > Secrets > Generate secret; shown once). For an Entra ID service principal with an Entra secret use azure-client-secret (azure_client_id, azure_client_secret, azure_tenant_id) instead.".into(),
        ));
    }
    if out.is_empty() && error == "invalid_grant" {
        out.push(finding(
            P::OAuthInvalidGrant,
            None,
            None,
            "Databricks refused the grant (code, refresh token or assertion): it is invalid, expired, spent or belongs to another client or workspace.".into(),
            format!("Sign in again (`{login}`) to get a new grant."),
        ));
    }
    out
}

/// Which claim a token-exchange refusal names, the value, and a sentence.
fn federation_detail(text: &str) -> (Option<&'static str>, Option<String>, String) {
    let said = find_ci(text, "Token exchange failed", 0)
        .map(|at| value_until_end(&text[at..]))
        .unwrap_or_else(|| entra_token::text::clip(text.trim(), 300));
    if contains_ci(text, "signature") {
        return (
            None,
            None,
            format!("the token's signature does not verify with the issuer's keys. ({said})"),
        );
    }
    if contains_ci(text, "expired") {
        return (
            Some("exp"),
            None,
            format!("the external token has expired. ({said})"),
        );
    }
    let names_subject = [
        "token subject",
        "subject '",
        "subject does not match",
        "subject claim",
    ]
    .iter()
    .any(|p| contains_ci(text, p));
    if contains_ci(text, "issuer") && !contains_ci(text, "audience") && !names_subject {
        let v = quoted_after(text, "issuer ");
        return (
            Some("iss"),
            v,
            format!("no federation policy trusts the token's issuer. ({said})"),
        );
    }
    if contains_ci(text, "audience") {
        let v = quoted_after(text, "audience ");
        return (
            Some("aud"),
            v,
            format!("the token's audience is not one the policy allows. ({said})"),
        );
    }
    if names_subject {
        let v = quoted_after(text, "subject ");
        return (
            Some("sub"),
            v,
            format!("the token's subject does not match the policy. ({said})"),
        );
    }
    if contains_ci(text, "RS256") || contains_ci(text, "alg") {
        return (
            None,
            None,
            format!("the token's algorithm is not accepted (RS256 or ES256 only). ({said})"),
        );
    }
    (None, None, said)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says_pats_off(text: &str) -> bool {
        scan(text, None)
            .iter()
            .any(|f| f.problem == DatabricksProblem::PatsDisabled)
    }

    #[test]
    fn pats_disabled_only_when_one_clause_says_it() {
        assert!(says_pats_off(
            "Personal access tokens are disabled for this workspace. Ask your workspace admin."
        ));
        assert!(says_pats_off(
            "PERMISSION_DENIED: Personal access token authentication is not enabled for this user."
        ));
        // A PAT and something disabled, but not the PATs.
        assert!(!says_pats_off(
            "Error: cannot create personal access token: AADSTS50057: The user account is disabled."
        ));
        assert!(!says_pats_off(
            "Invalid personal access token. The cluster is disabled."
        ));
    }

    #[test]
    fn wrong_audience_names_arm_and_the_command() {
        let body = r#"{"error_code":"401","message":"io.jsonwebtoken.IncorrectClaimException: Expected aud claim to be: 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, but was: https://management.core.windows.net/."}"#;
        let f = scan(body, Some(401));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].problem, DatabricksProblem::WrongAudience);
        assert_eq!(f[0].expected.as_deref(), Some(AZURE_DATABRICKS));
        assert_eq!(
            f[0].found.as_deref(),
            Some("https://management.core.windows.net/")
        );
        assert!(f[0].cause.contains("Azure Resource Manager"));
        assert!(f[0].fix.contains(GET_TOKEN));
    }

    #[test]
    fn wrong_issuer_names_both_tenants() {
        let t = "Error 400 io.jsonwebtoken.IncorrectClaimException: Expected iss claim to be: https://sts.windows.net/aaaaaaaa-1111-4111-8111-111111111111/, but was: https://sts.windows.net/bbbbbbbb-2222-4222-8222-222222222222/.";
        let f = scan(t, None);
        assert_eq!(f[0].problem, DatabricksProblem::WrongIssuer);
        assert!(f[0].cause.contains("bbbbbbbb-2222-4222-8222-222222222222"));
        assert!(f[0]
            .fix
            .contains("az login --tenant aaaaaaaa-1111-4111-8111-111111111111"));
        assert_eq!(http_status(t), Some(400));
    }

    #[test]
    fn expired_reads_both_times() {
        let t = "<title>Error 403 io.jsonwebtoken.ExpiredJwtException: JWT expired at 2024-05-01T10:00:00Z. Current time: 2024-05-01T11:02:03Z, a difference of 3723000 milliseconds.  Allowed clock skew: 0 milliseconds.</title>";
        let f = scan(t, None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].problem, DatabricksProblem::Expired);
        assert_eq!(f[0].found.as_deref(), Some("2024-05-01T10:00:00Z"));
        assert_eq!(f[0].expected.as_deref(), Some("2024-05-01T11:02:03Z"));
        assert_eq!(http_status(t), Some(403));
    }

    #[test]
    fn other_answers() {
        let html = "<html><head><title>Error 403 Invalid access token.</title></head><body><h2>HTTP ERROR 403</h2></body></html>";
        assert_eq!(scan(html, None)[0].problem, DatabricksProblem::InvalidToken);
        assert_eq!(http_status(html), Some(403));
        assert_eq!(
            scan("Error 400 User not authorized.", None)[0].problem,
            DatabricksProblem::NotAuthorized
        );
        assert_eq!(
            scan("Error 400 Unable to load OAuth Config", None)[0].problem,
            DatabricksProblem::OAuthConfig
        );
        let ip = scan(
            r#"{"error_code":"403","message":"Source IP address: 203.0.113.7 is blocked by Databricks IP ACL for workspace: 1234"}"#,
            Some(403),
        );
        assert_eq!(ip[0].problem, DatabricksProblem::IpBlocked);
        assert_eq!(ip[0].found.as_deref(), Some("203.0.113.7"));
        assert_eq!(
            scan("403 Forbidden", None)[0].problem,
            DatabricksProblem::Forbidden
        );
        assert_eq!(
            scan("x", Some(401))[0].problem,
            DatabricksProblem::Unauthorized
        );
        assert_eq!(
            scan(
                "Credential was not sent or was of an unsupported type for this API.",
                Some(401)
            )[0]
            .problem,
            DatabricksProblem::CredentialNotSent
        );
        assert!(scan("all good", None).is_empty());
    }

    #[test]
    fn statuses_need_word_boundaries() {
        assert_eq!(http_status("status code 4011"), None);
        assert_eq!(http_status("terror 401"), None);
        assert_eq!(http_status("HTTP/1.1 401 Unauthorized"), Some(401));
        assert_eq!(
            issuer_tenant("https://login.microsoftonline.com/t1/v2.0"),
            Some("t1")
        );
        assert_eq!(issuer_tenant("nope"), None);
    }
}

//! What an Azure Databricks 400/401/403 answer says about the token: wrong
//! audience or issuer (`io.jsonwebtoken.IncorrectClaimException`), expiry
//! (`ExpiredJwtException`), `Invalid access token`, a user or service
//! principal missing from the workspace, an IP access list, and the rest.

use serde::Serialize;

use super::scan::{contains_ci, find_ci};
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
    if contains_ci(text, "ExpiredJwtException") || contains_ci(text, "JWT expired at") {
        out.push(expiry_finding(text));
    }
    if contains_ci(text, "Unable to load OAuth Config") {
        out.push(simple(
            DatabricksProblem::OAuthConfig,
            "Databricks could not load the Entra ID (OAuth) configuration that matches the token: the token was usually issued by a tenant other than the one the workspace belongs to (a guest's home tenant, a multi-tenant app signed in elsewhere), or the request went to the wrong host (for example an account-console URL with a workspace token).",
            "Get the token from the workspace's own tenant (authority https://login.microsoftonline.com/<workspace-tenant-id>, or `az login --tenant <workspace-tenant-id>`), for resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, and check the workspace URL (https://adb-<id>.<n>.azuredatabricks.net).",
        ));
    }
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
    if contains_ci(text, "Credential was not sent")
        || contains_ci(text, "unsupported type for this API")
    {
        out.push(simple(
            DatabricksProblem::CredentialNotSent,
            "No usable credential reached Databricks: the Authorization header is missing, empty, or not of the form `Bearer <token>` (a proxy may also have removed it).",
            "Send the header `Authorization: Bearer <token>` with the token on one line, and check that no proxy or redirect drops it (curl drops it when following a redirect to another host).",
        ));
    }
    if contains_ci(text, "Invalid access token") {
        out.push(simple(
            DatabricksProblem::InvalidToken,
            "Databricks could not validate the bearer token: it may be truncated or mangled, a personal access token that was revoked or has expired, an Entra token for another tenant or audience, or not a token at all.",
            "Run `entra-doctor check` on the exact token you send to see which rule fails. For Entra tokens: aud must be 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, iss the workspace's tenant, and exp in the future. For a personal access token, create a new one.",
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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

//! `issuer`: an Entra ID issuer of the right shape, agreeing with `tid`.

use crate::claims::{string, Claim};
use crate::findings::{names::ISSUER, Finding};
use crate::issuer::{self, IssuerVersion};
use crate::policy::Policy;

pub(crate) fn issuer(c: &crate::claims::Claims<'_>, policy: &Policy, brief: bool) -> Finding {
    let iss = match string(&c.iss) {
        Claim::Present(s) => s,
        Claim::Missing => {
            return Finding::fail(
                ISSUER,
                "the token has no 'iss' claim: it does not say who issued it",
            )
            .actual("(absent)")
            .fix("Entra ID always sets 'iss'; this token was not issued by Entra ID.")
        }
        Claim::Malformed(what) => return Finding::fail(ISSUER, format!("'iss' is {what}")),
    };
    if let Some(expected) = &policy.issuer {
        return if iss == expected {
            Finding::pass(ISSUER, format!("issued by {iss}"))
                .expected(expected.clone())
                .actual(iss)
        } else {
            Finding::fail(ISSUER, format!("issued by {iss}, not by {expected}"))
                .expected(expected.clone())
                .actual(iss)
                .fix("Get the token from the expected issuer, or check --issuer.")
        };
    }
    let Some(parsed) = issuer::parse(iss) else {
        let hint = near_miss(iss);
        return Finding::fail(ISSUER, format!("'{iss}' is not an Entra ID issuer{hint}"))
            .expected("https://sts.windows.net/<tenant-id>/ (v1) or https://login.microsoftonline.com/<tenant-id>/v2.0 (v2)")
            .actual(iss)
            .fix("Azure Databricks accepts only tokens issued by Entra ID for the workspace's tenant. For another OpenID provider, give its issuer with --issuer.");
    };
    if !crate::tenant_id::is_tenant(&parsed.tenant) {
        return Finding::fail(
            ISSUER,
            format!(
                "the issuer names the tenant '{}', which is neither a tenant ID (a GUID) nor a domain name: Entra ID never issues such a token",
                crate::text::clip(&parsed.tenant, 60)
            ),
        )
        .expected("https://sts.windows.net/<tenant-id>/ (v1) or https://login.microsoftonline.com/<tenant-id>/v2.0 (v2)")
        .actual(iss)
        .fix("The token was altered or forged. Get a real token from Entra ID.");
    }
    if brief && issuer_passes(c, &parsed, policy) {
        return Finding::pass(ISSUER, String::new());
    }
    let expected_tenant = policy.tenant.as_deref().unwrap_or(&parsed.tenant);
    let expected = match parsed.version {
        IssuerVersion::V1 => format!("https://{}/{expected_tenant}/", parsed.host),
        IssuerVersion::V2 => format!("https://{}/{expected_tenant}/v2.0", parsed.host),
    };
    let version = match parsed.version {
        IssuerVersion::V1 => "v1",
        IssuerVersion::V2 => "v2",
    };
    if let Some(t) = &policy.tenant {
        if !t.eq_ignore_ascii_case(&parsed.tenant) {
            return Finding::fail(ISSUER, format!("issued by tenant {}, not by the workspace's tenant {t}", parsed.tenant))
                .expected(expected)
                .actual(iss)
                .fix(format!("Get the token from the workspace's tenant: use the authority https://login.microsoftonline.com/{t} (az login --tenant {t}), not 'common' or your home tenant."));
        }
    }
    match string(&c.tid) {
        Claim::Present(tid) if !tid.eq_ignore_ascii_case(&parsed.tenant) => {
            return Finding::fail(
                ISSUER,
                format!(
                    "the issuer names tenant {} but 'tid' says {tid}: they must agree",
                    parsed.tenant
                ),
            )
            .expected(format!("tid {}", parsed.tenant))
            .actual(format!("tid {tid}"))
            .fix("Entra ID never issues such a token; it was altered or forged.")
        }
        Claim::Malformed(what) => return Finding::fail(ISSUER, format!("'tid' is {what}")),
        _ => {}
    }
    let ver = string(&c.ver).ok();
    let ver_note = match (ver, parsed.version) {
        (Some("1.0"), IssuerVersion::V2) | (Some("2.0"), IssuerVersion::V1) => {
            return Finding::warn(ISSUER, format!("a {version} issuer but 'ver' is \"{}\": an unusual combination", ver.unwrap_or_default()))
                .expected(expected)
                .actual(iss)
                .fix("Check how the token was obtained; Entra ID pairs v1 issuers with ver 1.0 and v2 issuers with ver 2.0.")
        }
        _ => "",
    };
    Finding::pass(
        ISSUER,
        format!(
            "issued by Entra ID ({version} endpoint, {}) for tenant {}{ver_note}",
            parsed.cloud, parsed.tenant
        ),
    )
    .expected(expected)
    .actual(iss)
}

/// The pass condition of the Entra-shape branch, without building messages.
fn issuer_passes(
    c: &crate::claims::Claims<'_>,
    parsed: &issuer::EntraIssuer,
    policy: &Policy,
) -> bool {
    if !crate::tenant_id::is_tenant(&parsed.tenant) {
        return false;
    }
    if policy
        .tenant
        .as_ref()
        .is_some_and(|t| !t.eq_ignore_ascii_case(&parsed.tenant))
    {
        return false;
    }
    match string(&c.tid) {
        Claim::Present(tid) if !tid.eq_ignore_ascii_case(&parsed.tenant) => return false,
        Claim::Malformed(_) => return false,
        _ => {}
    }
    !matches!(
        (string(&c.ver).ok(), parsed.version),
        (Some("1.0"), IssuerVersion::V2) | (Some("2.0"), IssuerVersion::V1)
    )
}

fn near_miss(iss: &str) -> &'static str {
    let lower = iss.to_ascii_lowercase();
    if lower.starts_with("http://") {
        " (it uses http, not https)"
    } else if (lower.contains("sts.windows.net") || lower.contains("sts.chinacloudapi.cn"))
        && !lower.ends_with('/')
    {
        " (a v1 issuer ends with '/')"
    } else if lower.contains("login.microsoftonline.com") && !lower.contains("v2.0") {
        " (a v2 issuer ends with '/v2.0')"
    } else {
        ""
    }
}

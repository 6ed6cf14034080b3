//! `issuer`: an Entra ID issuer of the right shape, agreeing with `tid`.

use crate::claims::{string, Claim};
use crate::findings::{names::ISSUER, Finding, Status};
use crate::issuer::{self, EntraIssuer, IssuerVersion};
use crate::policy::Policy;

use super::Outcome;

/// What the `issuer` rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IssuerOutcome<'a> {
    /// No `iss` claim.
    Missing,
    /// `iss` is not a string.
    Malformed(String),
    /// `iss` is the issuer given with `--issuer`.
    PinnedPass { iss: &'a str },
    /// `iss` is not the issuer given with `--issuer`.
    PinnedWrong { iss: &'a str },
    /// `iss` does not have the shape of an Entra ID issuer.
    NotEntra { iss: &'a str },
    /// The issuer's tenant is neither a tenant ID nor a domain name.
    BadTenant { iss: &'a str, tenant: String },
    /// The issuer's tenant is not the workspace's.
    WrongTenant { iss: &'a str, parsed: EntraIssuer },
    /// The issuer's tenant and `tid` disagree.
    TidDisagrees { parsed: EntraIssuer, tid: &'a str },
    /// `tid` is not a string.
    TidMalformed(String),
    /// A v1 issuer with `ver` 2.0, or the other way round.
    VersionMismatch {
        iss: &'a str,
        parsed: EntraIssuer,
        ver: &'a str,
    },
    /// An Entra ID issuer for the right tenant.
    Pass { iss: &'a str, parsed: EntraIssuer },
}

impl Outcome for IssuerOutcome<'_> {
    fn status(&self) -> Status {
        match self {
            IssuerOutcome::PinnedPass { .. } | IssuerOutcome::Pass { .. } => Status::Pass,
            IssuerOutcome::VersionMismatch { .. } => Status::Warn,
            _ => Status::Fail,
        }
    }
}

/// Decides: an issuer of Entra ID's shape (or the one given), agreeing with
/// `tid` and the workspace's tenant.
pub(crate) fn decide<'a>(c: &crate::claims::Claims<'a>, policy: &Policy) -> IssuerOutcome<'a> {
    let iss = match string(&c.iss) {
        Claim::Present(s) => s,
        Claim::Missing => return IssuerOutcome::Missing,
        Claim::Malformed(what) => return IssuerOutcome::Malformed(what),
    };
    if let Some(expected) = &policy.issuer {
        return if iss == expected {
            IssuerOutcome::PinnedPass { iss }
        } else {
            IssuerOutcome::PinnedWrong { iss }
        };
    }
    let Some(parsed) = issuer::parse_with_authority(iss, policy.authority.as_deref()) else {
        return IssuerOutcome::NotEntra { iss };
    };
    if !crate::tenant_id::is_tenant(&parsed.tenant) {
        return IssuerOutcome::BadTenant {
            iss,
            tenant: parsed.tenant,
        };
    }
    if let Some(t) = &policy.tenant {
        if !t.eq_ignore_ascii_case(&parsed.tenant) {
            return IssuerOutcome::WrongTenant { iss, parsed };
        }
    }
    match string(&c.tid) {
        Claim::Present(tid) if !tid.eq_ignore_ascii_case(&parsed.tenant) => {
            return IssuerOutcome::TidDisagrees { parsed, tid }
        }
        Claim::Malformed(what) => return IssuerOutcome::TidMalformed(what),
        _ => {}
    }
    match (string(&c.ver).ok(), parsed.version) {
        (Some(ver @ "1.0"), IssuerVersion::V2) | (Some(ver @ "2.0"), IssuerVersion::V1) => {
            IssuerOutcome::VersionMismatch { iss, parsed, ver }
        }
        _ => IssuerOutcome::Pass { iss, parsed },
    }
}

/// The finding for an outcome: the words.
pub(crate) fn describe(o: &IssuerOutcome<'_>, policy: &Policy) -> Finding {
    let (iss, parsed) = match o {
        IssuerOutcome::Missing => {
            return Finding::fail(
                ISSUER,
                "the token has no 'iss' claim: it does not say who issued it",
            )
            .actual("(absent)")
            .fix("Entra ID always sets 'iss'; this token was not issued by Entra ID.")
        }
        IssuerOutcome::Malformed(what) => return Finding::fail(ISSUER, format!("'iss' is {what}")),
        IssuerOutcome::PinnedPass { iss } => {
            return Finding::pass(ISSUER, format!("issued by {iss}"))
                .expected(policy.issuer.clone().unwrap_or_default())
                .actual(*iss)
        }
        IssuerOutcome::PinnedWrong { iss } => {
            let expected = policy.issuer.clone().unwrap_or_default();
            return Finding::fail(ISSUER, format!("issued by {iss}, not by {expected}"))
                .expected(expected)
                .actual(*iss)
                .fix("Get the token from the expected issuer, or check --issuer.");
        }
        IssuerOutcome::NotEntra { iss } => {
            let hint = near_miss(iss);
            return Finding::fail(ISSUER, format!("'{iss}' is not an Entra ID issuer{hint}"))
                .expected("https://sts.windows.net/<tenant-id>/ (v1) or https://login.microsoftonline.com/<tenant-id>/v2.0 (v2)")
                .actual(*iss)
                .fix("Azure Databricks accepts only tokens issued by Entra ID for the workspace's tenant. For another OpenID provider, give its issuer with --issuer (or, for an Entra-shaped v2 issuer <authority>/<tenant>/v2.0, the authority with --authority).");
        }
        IssuerOutcome::BadTenant { iss, tenant } => {
            return Finding::fail(
                ISSUER,
                format!(
                    "the issuer names the tenant '{}', which is neither a tenant ID (a GUID) nor a domain name: Entra ID never issues such a token",
                    crate::text::clip(tenant, 60)
                ),
            )
            .expected("https://sts.windows.net/<tenant-id>/ (v1) or https://login.microsoftonline.com/<tenant-id>/v2.0 (v2)")
            .actual(*iss)
            .fix("The token was altered or forged. Get a real token from Entra ID.");
        }
        IssuerOutcome::TidDisagrees { parsed, tid } => {
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
        IssuerOutcome::TidMalformed(what) => {
            return Finding::fail(ISSUER, format!("'tid' is {what}"))
        }
        IssuerOutcome::WrongTenant { iss, parsed }
        | IssuerOutcome::VersionMismatch { iss, parsed, .. }
        | IssuerOutcome::Pass { iss, parsed } => (*iss, parsed),
    };
    let expected_tenant = policy.tenant.as_deref().unwrap_or(&parsed.tenant);
    let expected = match parsed.version {
        IssuerVersion::V1 => format!("https://{}/{expected_tenant}/", parsed.host),
        IssuerVersion::V2 => match &policy.authority {
            Some(a) if !issuer::is_entra_host(&parsed.host) => {
                format!("{}/{expected_tenant}/v2.0", a.trim_end_matches('/'))
            }
            _ => format!("https://{}/{expected_tenant}/v2.0", parsed.host),
        },
    };
    let version = match parsed.version {
        IssuerVersion::V1 => "v1",
        IssuerVersion::V2 => "v2",
    };
    match o {
        IssuerOutcome::WrongTenant { .. } => {
            let t = expected_tenant;
            Finding::fail(ISSUER, format!("issued by tenant {}, not by the workspace's tenant {t}", parsed.tenant))
                .expected(expected)
                .actual(iss)
                .fix(format!("Get the token from the workspace's tenant: use the authority https://login.microsoftonline.com/{t} (az login --tenant {t}), not 'common' or your home tenant."))
        }
        IssuerOutcome::VersionMismatch { ver, .. } => {
            Finding::warn(ISSUER, format!("a {version} issuer but 'ver' is \"{ver}\": an unusual combination"))
                .expected(expected)
                .actual(iss)
                .fix("Check how the token was obtained; Entra ID pairs v1 issuers with ver 1.0 and v2 issuers with ver 2.0.")
        }
        // A pass (the other outcomes were described above).
        _ => Finding::pass(
            ISSUER,
            format!(
                "issued by Entra ID ({version} endpoint, {}) for tenant {}",
                parsed.cloud, parsed.tenant
            ),
        )
        .expected(expected)
        .actual(iss),
    }
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

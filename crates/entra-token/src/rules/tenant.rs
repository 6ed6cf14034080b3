//! `tenant`: `tid` is the workspace's tenant.

use crate::claims::{string, Claim};
use crate::findings::{names::TENANT, Finding, Status};
use crate::policy::Policy;
use crate::tenant_id::is_tenant;

use super::Outcome;

/// What the `tenant` rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TenantOutcome<'a> {
    /// `tid` is neither a tenant ID nor a domain name.
    NotTenant { tid: &'a str },
    /// No workspace tenant to compare with; `tid` when it is a string.
    NoPolicy { tid: Option<&'a str> },
    /// `tid` is the workspace's tenant.
    Pass { tid: &'a str },
    /// `tid` is another tenant.
    Wrong { tid: &'a str },
    /// No `tid` claim.
    Missing,
    /// `tid` is not a string.
    Malformed(String),
}

impl Outcome for TenantOutcome<'_> {
    fn status(&self) -> Status {
        match self {
            TenantOutcome::Pass { .. } => Status::Pass,
            TenantOutcome::NoPolicy { .. } => Status::Skip,
            _ => Status::Fail,
        }
    }
}

/// Decides: is `tid` the tenant of `policy.tenant`?
pub(crate) fn decide<'a>(c: &crate::claims::Claims<'a>, policy: &Policy) -> TenantOutcome<'a> {
    let tid = string(&c.tid);
    if let Claim::Present(t) = tid {
        if !is_tenant(t) {
            return TenantOutcome::NotTenant { tid: t };
        }
    }
    let Some(expected) = &policy.tenant else {
        return TenantOutcome::NoPolicy { tid: tid.ok() };
    };
    match tid {
        Claim::Present(t) if t.eq_ignore_ascii_case(expected) => TenantOutcome::Pass { tid: t },
        Claim::Present(t) => TenantOutcome::Wrong { tid: t },
        Claim::Missing => TenantOutcome::Missing,
        Claim::Malformed(what) => TenantOutcome::Malformed(what),
    }
}

/// The finding for an outcome: the words.
pub(crate) fn describe(o: &TenantOutcome<'_>, policy: &Policy) -> Finding {
    // Every outcome but `NotTenant` and `NoPolicy` has a workspace tenant.
    let expected = policy.tenant.as_deref().unwrap_or_default();
    match o {
        TenantOutcome::NotTenant { tid: t } => Finding::fail(
                TENANT,
                format!(
                    "'tid' is '{}', which is neither a tenant ID (a GUID) nor a domain name",
                    crate::text::clip(t, 60)
                ),
            )
            .expected(policy.tenant.clone().unwrap_or_else(|| "a tenant ID (GUID)".into()))
            .actual(crate::text::clip(t, 60))
            .fix("Entra ID puts the tenant's ID in 'tid'; this token was altered or forged. Get a real token from Entra ID."),
        TenantOutcome::NoPolicy { tid } => {
            let actual = match tid {
                Some(t) => format!("the token's tenant is {t}"),
                None => "the token has no 'tid'".into(),
            };
            Finding::skip(TENANT, format!("no workspace tenant given; {actual}")).fix(
                "Give the workspace's tenant with --tenant, or the workspace URL in an online check.",
            )
        }
        TenantOutcome::Pass { tid: t } => {
            Finding::pass(TENANT, format!("the token comes from the workspace's tenant {t}")).expected(expected).actual(*t)
        }
        TenantOutcome::Wrong { tid: t } => Finding::fail(TENANT, format!("the token comes from tenant {t}, but the workspace belongs to tenant {expected}"))
            .expected(expected)
            .actual(*t)
            .fix(format!(
                "Sign in to the workspace's tenant: 'az login --tenant {expected}', or use the authority https://login.microsoftonline.com/{expected} in MSAL. \
                 A guest user must get the token from this tenant, not from their home tenant."
            )),
        TenantOutcome::Missing => Finding::fail(TENANT, "the token has no 'tid' claim").expected(expected).actual("(absent)")
            .fix("Entra ID work and school tokens carry 'tid'; personal-account or B2C tokens are not accepted by Azure Databricks."),
        TenantOutcome::Malformed(what) => Finding::fail(TENANT, format!("'tid' is {what}")).expected(expected),
    }
}

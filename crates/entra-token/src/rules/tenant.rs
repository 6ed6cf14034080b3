//! `tenant`: `tid` is the workspace's tenant.

use crate::claims::{string, Claim};
use crate::findings::{names::TENANT, Finding};
use crate::policy::Policy;
use crate::tenant_id::is_tenant;

pub(crate) fn tenant(c: &crate::claims::Claims<'_>, policy: &Policy, brief: bool) -> Finding {
    let tid = string(&c.tid);
    if let Claim::Present(t) = &tid {
        if !is_tenant(t) {
            return Finding::fail(
                TENANT,
                format!(
                    "'tid' is '{}', which is neither a tenant ID (a GUID) nor a domain name",
                    crate::text::clip(t, 60)
                ),
            )
            .expected(policy.tenant.clone().unwrap_or_else(|| "a tenant ID (GUID)".into()))
            .actual(crate::text::clip(t, 60))
            .fix("Entra ID puts the tenant's ID in 'tid'; this token was altered or forged. Get a real token from Entra ID.");
        }
    }
    if brief {
        if let (Claim::Present(t), Some(e)) = (&tid, &policy.tenant) {
            if t.eq_ignore_ascii_case(e) {
                return Finding::pass(TENANT, String::new());
            }
        }
    }
    let Some(expected) = &policy.tenant else {
        let actual = match &tid {
            Claim::Present(t) => format!("the token's tenant is {t}"),
            _ => "the token has no 'tid'".into(),
        };
        return Finding::skip(TENANT, format!("no workspace tenant given; {actual}")).fix(
            "Give the workspace's tenant with --tenant, or the workspace URL in an online check.",
        );
    };
    match tid {
        Claim::Present(t) if t.eq_ignore_ascii_case(expected) => {
            Finding::pass(TENANT, format!("the token comes from the workspace's tenant {t}")).expected(expected.clone()).actual(t)
        }
        Claim::Present(t) => Finding::fail(TENANT, format!("the token comes from tenant {t}, but the workspace belongs to tenant {expected}"))
            .expected(expected.clone())
            .actual(t)
            .fix(format!(
                "Sign in to the workspace's tenant: 'az login --tenant {expected}', or use the authority https://login.microsoftonline.com/{expected} in MSAL. \
                 A guest user must get the token from this tenant, not from their home tenant."
            )),
        Claim::Missing => Finding::fail(TENANT, "the token has no 'tid' claim").expected(expected.clone()).actual("(absent)")
            .fix("Entra ID work and school tokens carry 'tid'; personal-account or B2C tokens are not accepted by Azure Databricks."),
        Claim::Malformed(what) => Finding::fail(TENANT, format!("'tid' is {what}")).expected(expected.clone()),
    }
}

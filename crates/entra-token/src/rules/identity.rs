//! `identity`: who the token speaks for, and what Databricks will look up.

use crate::findings::{names::IDENTITY, Finding};
use crate::summary::{principal, Principal};

pub(crate) fn identity(c: &crate::claims::Claims<'_>, brief: bool) -> Finding {
    let p = principal(c);
    if brief
        && matches!(
            p,
            Principal::User { .. } | Principal::ServicePrincipal { oid: Some(_), .. }
        )
    {
        return Finding::pass(IDENTITY, String::new());
    }
    match p {
        Principal::User { name, claim, oid } => Finding::pass(
            IDENTITY,
            format!(
                "a user token for {name} (from '{claim}'{}); Azure Databricks looks this user up by that name, so it must exist in the workspace",
                oid.map(|o| format!(", object ID {o}")).unwrap_or_default()
            ),
        )
        .actual(format!("user {name}")),
        Principal::ServicePrincipal { app_id, oid, claim } => {
            let mut f = Finding::pass(
                IDENTITY,
                format!(
                    "a service-principal (application) token for application {app_id} (from '{claim}'{}); Azure Databricks looks it up by this application ID, so the service principal must be added to the workspace",
                    oid.as_ref().map(|o| format!(", object ID {o}")).unwrap_or_default()
                ),
            )
            .actual(format!("service principal {app_id}"));
            if oid.is_none() {
                f = Finding::warn(IDENTITY, f.message.clone() + "; it has no 'oid'").actual(format!("service principal {app_id}"))
                    .fix("Entra ID service-principal tokens carry 'oid'; check that the token comes from Entra ID.");
            }
            f
        }
        Principal::Unknown => Finding::fail(IDENTITY, "the token names neither a user (upn, unique_name, preferred_username) nor an application (appid, azp)")
            .fix("Azure Databricks cannot tell who is calling; get a token from a user sign-in or a service principal's client-credentials flow."),
    }
}

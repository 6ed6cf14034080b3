//! `identity`: who the token speaks for, and what Databricks will look up.

use crate::findings::{names::IDENTITY, Finding, Status};
use crate::summary::{principal, Guest, Principal};

use super::Outcome;

/// A user named by an identifier, not a user name (see [`Principal::User`]).
fn is_id_claim(claim: &str) -> bool {
    matches!(claim, "oid" | "sub")
}

/// What the `identity` rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdentityOutcome {
    /// A user named by a user name (`claim`).
    User {
        name: String,
        claim: &'static str,
        oid: Option<String>,
    },
    /// A user token that names the user only by an identifier (`oid`, `sub`).
    UserWithoutName {
        name: String,
        claim: &'static str,
        oid: Option<String>,
    },
    /// A B2B guest user.
    Guest {
        name: String,
        claim: &'static str,
        oid: Option<String>,
        guest: Guest,
    },
    /// A service principal; a warning when it has no `oid`.
    ServicePrincipal {
        app_id: String,
        oid: Option<String>,
        claim: &'static str,
    },
    /// Neither a user nor an application.
    Unknown,
}

impl Outcome for IdentityOutcome {
    fn status(&self) -> Status {
        match self {
            IdentityOutcome::User { .. } => Status::Pass,
            IdentityOutcome::ServicePrincipal { oid, .. } if oid.is_some() => Status::Pass,
            IdentityOutcome::Unknown => Status::Fail,
            _ => Status::Warn,
        }
    }
}

/// Decides who the token speaks for.
pub(crate) fn decide(c: &crate::claims::Claims<'_>) -> IdentityOutcome {
    match principal(c) {
        Principal::User {
            name, claim, oid, ..
        } if is_id_claim(claim) => IdentityOutcome::UserWithoutName { name, claim, oid },
        Principal::User {
            name,
            claim,
            oid,
            guest: Some(guest),
        } => IdentityOutcome::Guest {
            name,
            claim,
            oid,
            guest,
        },
        Principal::User {
            name, claim, oid, ..
        } => IdentityOutcome::User { name, claim, oid },
        Principal::ServicePrincipal { app_id, oid, claim } => {
            IdentityOutcome::ServicePrincipal { app_id, oid, claim }
        }
        Principal::Unknown => IdentityOutcome::Unknown,
    }
}

/// The finding for an outcome: the words.
pub(crate) fn describe(o: &IdentityOutcome) -> Finding {
    match o {
        IdentityOutcome::UserWithoutName { name, claim, oid } => Finding::warn(
            IDENTITY,
            format!(
                "a user token (delegated: it carries 'scp', or 'idtyp' says user) that names no user: no upn, unique_name, preferred_username or email, only the {claim} {name}{}; Azure Databricks matches users by UPN or email, so it will likely not find this user",
                oid.as_ref().filter(|o| *o != name).map(|o| format!(", object ID {o}")).unwrap_or_default()
            ),
        )
        .actual(format!("user with {claim} {name}, no user name"))
        .fix("Sign in with an account of the workspace's tenant that has a user principal name (`az login --tenant <workspace tenant>`); guests and personal Microsoft accounts must be added to the workspace by the email they sign in with."),
        IdentityOutcome::Guest {
            name,
            claim,
            oid,
            guest: g,
        } => {
            let email = g
                .email
                .as_deref()
                .filter(|e| !e.eq_ignore_ascii_case(name))
                .map(|e| format!(" (the address in it is {e})"))
                .unwrap_or_default();
            Finding::warn(
                IDENTITY,
                format!(
                    "a B2B guest user token for {name} (from '{claim}'{}): {}. Azure Databricks matches users by UPN or email, so it will likely see '{name}'{email}, which must be exactly the workspace user's name",
                    oid.as_ref().map(|o| format!(", object ID {o}")).unwrap_or_default(),
                    g.evidence
                ),
            )
            .actual(format!("guest user {name}"))
            .fix(format!(
                "Compare the workspace's user (Settings > Identity and access > Users) with '{name}'{}: a guest whose workspace user was created under another address is not found. Or sign in with a member account of the workspace's tenant.",
                g.email.as_deref().filter(|e| !e.eq_ignore_ascii_case(name)).map(|e| format!(" and {e}")).unwrap_or_default()
            ))
        }
        IdentityOutcome::User { name, claim, oid } => Finding::pass(
            IDENTITY,
            format!(
                "a user token for {name} (from '{claim}'{}); Azure Databricks looks this user up by that name, so it must exist in the workspace",
                oid.as_ref().map(|o| format!(", object ID {o}")).unwrap_or_default()
            ),
        )
        .actual(format!("user {name}")),
        IdentityOutcome::ServicePrincipal { app_id, oid, claim } => {
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
        IdentityOutcome::Unknown => Finding::fail(IDENTITY, "the token names neither a user (upn, unique_name, preferred_username, email, or 'scp' with an oid) nor an application (appid, azp)")
            .fix("Azure Databricks cannot tell who is calling; get a token from a user sign-in or a service principal's client-credentials flow."),
    }
}

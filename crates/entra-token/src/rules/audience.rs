//! `audience`: the token is for the API that receives it.

use crate::catalogue::resources::{self, AZURE_DATABRICKS};
use crate::claims::{audiences, Claim};
use crate::findings::{names::AUDIENCE, Finding, Status};
use crate::policy::Policy;
use crate::summary::{token_kind, TokenKind};
use std::borrow::Cow;

use super::Outcome;

/// What the `audience` rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AudienceOutcome<'a> {
    /// One of the token's audiences is an expected one.
    Pass { auds: Vec<Cow<'a, str>> },
    /// None is; `id_token` when the token is an ID token.
    Wrong {
        auds: Vec<Cow<'a, str>>,
        id_token: bool,
    },
    /// No `aud` claim.
    Missing,
    /// `aud` is not a string or an array of strings.
    Malformed(String),
}

impl Outcome for AudienceOutcome<'_> {
    fn status(&self) -> Status {
        match self {
            AudienceOutcome::Pass { .. } => Status::Pass,
            _ => Status::Fail,
        }
    }
}

/// Decides: is the token for one of `policy.audiences`?
pub(crate) fn decide<'a>(c: &crate::claims::Claims<'a>, policy: &Policy) -> AudienceOutcome<'a> {
    match audiences(&c.aud) {
        Claim::Present(auds) => {
            if auds
                .iter()
                .any(|a| policy.audiences.iter().any(|e| e == a.as_ref()))
            {
                AudienceOutcome::Pass { auds }
            } else {
                AudienceOutcome::Wrong {
                    auds,
                    id_token: token_kind(c) == TokenKind::Id,
                }
            }
        }
        Claim::Missing => AudienceOutcome::Missing,
        Claim::Malformed(what) => AudienceOutcome::Malformed(what),
    }
}

/// The finding for an outcome: the words.
pub(crate) fn describe(o: &AudienceOutcome<'_>, policy: &Policy) -> Finding {
    let expected = policy.audiences.join(" or ");
    let named = |aud: &str| match resources::lookup(aud) {
        Some(r) => format!("{aud} ({})", r.name),
        None => aud.to_owned(),
    };
    let (auds, id_token) = match o {
        AudienceOutcome::Missing => {
            return Finding::fail(
                AUDIENCE,
                "the token has no 'aud' claim: it does not say which API it is for",
            )
            .expected(expected)
            .actual("(absent)")
            .fix(how_to_ask(policy))
        }
        AudienceOutcome::Malformed(what) => {
            return Finding::fail(AUDIENCE, format!("'aud' is {what}"))
                .expected(expected)
                .fix(how_to_ask(policy))
        }
        AudienceOutcome::Pass { auds } => {
            return Finding::pass(AUDIENCE, format!("the token is for {}", named(&auds[0])))
                .expected(expected)
                .actual(auds.join(", "))
        }
        AudienceOutcome::Wrong { auds, id_token } => (auds, *id_token),
    };
    let expected_named = policy
        .audiences
        .iter()
        .map(|a| named(a))
        .collect::<Vec<_>>()
        .join(" or ");
    let actual = auds.join(", ");
    let mut msg = format!(
        "the token is for {}, not for {expected_named}",
        auds.iter().map(|a| named(a)).collect::<Vec<_>>().join(", ")
    );
    if let Some(near) = auds.iter().find(|a| {
        policy.audiences.iter().any(|e| {
            e.eq_ignore_ascii_case(a) || e.trim_end_matches('/') == a.trim_end_matches('/')
        })
    }) {
        msg.push_str(&format!(" ('{near}' differs only in case or a trailing slash, and audiences are compared exactly)"));
    }
    let mut fix = how_to_ask(policy);
    let lead = auds.iter().find_map(|a| match resources::lookup(a).map(|r| r.name) {
        Some("Microsoft Graph") => Some("This is a Microsoft Graph token: it is for Graph alone (its header nonce means only Graph can even verify it)."),
        Some("Azure Resource Manager") => Some("This is an Azure Resource Manager token (what az account get-access-token gives without --resource): it is for managing Azure resources, not for the APIs of a Databricks workspace."),
        _ => None,
    });
    if let (Some(lead), false) = (lead, id_token) {
        fix = format!("{lead} {fix}");
    }
    if id_token {
        fix = format!("This is an ID token (its audience is the client application). APIs take access tokens. {fix}");
    }
    Finding::fail(AUDIENCE, msg)
        .expected(expected)
        .actual(actual)
        .fix(fix)
}

fn how_to_ask(policy: &Policy) -> String {
    if policy.audiences.iter().any(|a| a == AZURE_DATABRICKS) {
        format!(
            "Ask Entra ID for a token for Azure Databricks: 'az account get-access-token --resource {AZURE_DATABRICKS}', \
             or in MSAL / azure-identity the scope '{AZURE_DATABRICKS}/.default' (v1 endpoint: resource={AZURE_DATABRICKS}). \
             A token for Azure Resource Manager (https://management.azure.com/) or Microsoft Graph is refused by the workspace."
        )
    } else {
        format!(
            "Ask Entra ID for a token whose audience is {} (scope '<resource>/.default').",
            policy.audiences.join(" or ")
        )
    }
}

//! A Databricks personal access token (`dapi…`) checked the only way one
//! can be: by asking the workspace that issued it (SCIM `Me`, the same
//! call as a token's membership), and explaining its answer. The token is
//! never shown whole.

use entra_token::findings::names::{MEMBERSHIP, SIGNATURE};
use entra_token::Finding;

use crate::net::key_cache::Miss;
use crate::net::workspace::{self, Membership, Workspace};
use crate::net::{Online, OnlineOutcome, Plan};

/// Asks the plan's workspace about `pat`. Without a workspace nothing is
/// asked: the engine's report already says the PAT was not checked.
pub async fn run(online: &Online, plan: &Plan, pat: &str) -> OnlineOutcome {
    let mut out = OnlineOutcome::default();
    let Some(ws) = &plan.workspace else {
        return out;
    };
    // Account hosts take no personal access tokens: it is not sent there.
    if ws
        .host
        .host_str()
        .is_some_and(|h| h.starts_with("accounts."))
    {
        out.membership = Some(
            Finding::fail(MEMBERSHIP, format!("{} is a Databricks account host: account APIs never accept personal access tokens (they work on one workspace only); the token was not sent", ws.display()))
                .fix("For account APIs use OAuth: 'databricks auth login --host <accounts host> --account-id <id>' (U2M) or a service principal's OAuth secret against <accounts host>/oidc/accounts/<id>/v1/token (M2M)."),
        );
        out.replace.push(Finding::skip(
            SIGNATURE,
            "not checked: a personal access token is checked only by its workspace",
        ));
        return out;
    }
    let result = workspace::membership(online, ws, pat).await;
    if let Err(Miss::Net(e)) = &result {
        out.failed_steps.push(e.to_string());
    }
    let (membership, signature) = findings(ws, &result);
    out.membership = Some(membership);
    out.replace.push(signature);
    out
}

/// The membership finding for the workspace's answer, and the `signature`
/// finding it stands for: a PAT has no signature, the workspace's 200 is
/// its only proof.
pub fn findings(ws: &Workspace, result: &Result<Membership, Miss>) -> (Finding, Finding) {
    let wsd = ws.display();
    let new_pat = format!("Create a new token in {wsd} (Settings → Developer → Access tokens, or 'databricks tokens create'), put it where your tool reads it (DATABRICKS_TOKEN or the profile's 'token'), or move to OAuth: 'databricks auth login --host {wsd}' (U2M) or a service principal's OAuth secret (M2M).");
    let not_verified = |why: &str| {
        Finding::skip(SIGNATURE, format!("not checked: {why}")).fix(format!(
            "A personal access token has no signature; only {wsd} can verify it."
        ))
    };
    match result {
        Ok(Membership::Found {
            user_name,
            active,
            application_id,
            ..
        }) => {
            let kind = workspace::principal_kind(application_id);
            if *active == Some(false) {
                return (
                    Finding::fail(MEMBERSHIP, format!("the workspace {wsd} knows the token's {kind} {user_name}, but it is deactivated"))
                        .actual(user_name.clone())
                        .fix(format!("A workspace admin must reactivate it in {wsd} (Settings → Identity and access).")),
                    not_verified("the workspace named a deactivated principal"),
                );
            }
            (
                Finding::pass(
                    MEMBERSHIP,
                    format!("the workspace {wsd} accepted the personal access token: it belongs to the {kind} {user_name}"),
                )
                .actual(user_name.clone()),
                Finding::pass(
                    SIGNATURE,
                    format!("verified by the workspace {wsd}, which accepted it (SCIM Me answered 200): a personal access token has no signature of its own"),
                ),
            )
        }
        Ok(Membership::Refused {
            status,
            error_code,
            message,
        }) => {
            let said = workspace::refusal_said(
                *status,
                error_code.as_deref(),
                &entra_token::text::clip(message, 300),
            );
            // The one classifier of Databricks' answers (entra-explain's),
            // worded here for a personal access token.
            use entra_explain::DatabricksProblem as P;
            let found = entra_explain::classify_databricks_answer(Some(*status), message);
            let stated = |p: P| found.iter().any(|f| f.problem == p);
            let f = if stated(P::PatsDisabled) {
                Finding::fail(MEMBERSHIP, format!("the workspace {wsd} refused the token: personal access tokens are disabled there by its admin (it said {said})"))
                    .fix(format!("Ask a workspace admin to allow personal access tokens (Settings → Advanced → Personal access tokens, and the token permissions), or use OAuth instead: 'databricks auth login --host {wsd}' (U2M) or a service principal's OAuth secret (M2M)."))
            } else if stated(P::InvalidToken) || *status == 401 {
                Finding::fail(MEMBERSHIP, format!("the workspace {wsd} does not accept this personal access token: it has expired, was revoked (Databricks also revokes tokens unused for 90 days), or was issued by another workspace (Databricks answers all three alike; it said {said})"))
                    .fix(new_pat.clone())
            } else if *status == 403 {
                Finding::fail(MEMBERSHIP, format!("the workspace {wsd} refused the token's owner (it said {said})"))
                    .fix(format!("The token is known but its owner may not use {wsd}: a workspace admin must give the user or service principal the Workspace access entitlement, or reactivate it."))
            } else {
                Finding::fail(
                    MEMBERSHIP,
                    format!("the workspace {wsd} refused the token (it said {said})"),
                )
                .fix(new_pat.clone())
            };
            (
                f.actual(format!("HTTP {status}")),
                not_verified("the workspace refused it (see the 'membership' finding)"),
            )
        }
        Err(m) => (
            workspace::unasked_finding(
                m,
                &wsd,
                "a personal access token is checked only by asking its workspace",
            ),
            not_verified("the workspace could not be asked"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entra_token::Status;

    fn ws() -> Workspace {
        workspace::parse_host("https://adb-1.2.azuredatabricks.net", "--workspace", false).unwrap()
    }

    fn refused(status: u16, message: &str) -> Result<Membership, Miss> {
        Ok(Membership::Refused {
            status,
            error_code: None,
            message: message.into(),
        })
    }

    #[test]
    fn only_the_workspaces_ok_verifies_a_pat() {
        let (m, s) = findings(
            &ws(),
            &Ok(Membership::Found {
                user_name: "a@b.c".into(),
                display_name: None,
                active: Some(true),
                application_id: None,
            }),
        );
        assert_eq!((m.status, s.status), (Status::Pass, Status::Pass));
        for r in [
            refused(403, "Invalid access token."),
            refused(
                403,
                "Personal access tokens are disabled for this workspace. Ask your workspace admin.",
            ),
            refused(401, "Unauthorized"),
            refused(403, "User is not authorized"),
            Err(Miss::Offline { url: "u".into() }),
        ] {
            let (m, s) = findings(&ws(), &r);
            assert_ne!(m.status, Status::Pass, "{m:?}");
            assert_eq!(s.status, Status::Skip, "{s:?}");
        }
    }

    #[test]
    fn a_pat_is_never_sent_to_an_account_host() {
        let plan_ws =
            workspace::parse_host("https://accounts.azuredatabricks.net", "--workspace", false)
                .unwrap();
        let opts = crate::net::OnlineOptions {
            offline: true,
            no_cache: true,
            ..Default::default()
        };
        let home = tempfile::tempdir().unwrap();
        let env = crate::net::databrickscfg::test_env::FakeEnv {
            vars: Vec::new(),
            home: home.path().to_owned(),
        };
        let mut plan = Plan::resolve(&opts, &env).unwrap();
        plan.workspace = Some(plan_ws);
        let online = plan
            .online(crate::net::progress::Progress::stderr(false))
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let out = rt.block_on(run(&online, &plan, "dapi0123456789abcdef0123456789abcdef"));
        let m = out.membership.unwrap();
        assert_eq!(m.status, Status::Fail);
        assert!(
            m.message.contains("never accept personal access tokens"),
            "{}",
            m.message
        );
        assert!(out.failed_steps.is_empty());
    }

    #[test]
    fn databricks_answers_about_pats_are_explained() {
        let (m, _) = findings(&ws(), &refused(403, "Invalid access token."));
        assert!(m.message.contains("expired, was revoked"), "{}", m.message);
        let (m, _) = findings(
            &ws(),
            &refused(
                403,
                "Personal access tokens are disabled for this workspace. Ask your workspace admin.",
            ),
        );
        assert!(
            m.message.contains("disabled there by its admin"),
            "{}",
            m.message
        );
        assert!(m.fix.unwrap().contains("databricks auth login"));
    }

    #[test]
    fn pats_switched_off_for_one_user_read_as_disabled_through_the_one_classifier() {
        let said = "Personal access token authentication is not enabled for this user.";
        let (m, _) = findings(&ws(), &refused(403, said));
        assert!(
            m.message.contains("disabled there by its admin"),
            "{}",
            m.message
        );
        assert!(entra_explain::classify_databricks_answer(Some(403), said)
            .iter()
            .any(|f| f.problem == entra_explain::DatabricksProblem::PatsDisabled));
        // "Invalid access token" is the classifier's too, whatever its case.
        let (m, _) = findings(&ws(), &refused(403, "invalid access token"));
        assert!(m.message.contains("expired, was revoked"), "{}", m.message);
    }
}

//! The service principal outside the workspace. When the workspace answers
//! "not a member" for a service principal's Entra token, the Databricks SDKs
//! (azure-client-secret) can still get in if the principal is Contributor or
//! Owner on the workspace's Azure resource: they send an ARM token of the
//! same principal in `X-Databricks-Azure-SP-Management-Token` with
//! `X-Databricks-Azure-Workspace-Resource-Id`, and Azure Databricks adds
//! the principal to the workspace.
//!
//! After `check --workspace` and `token`, [`retry`] says whether that path
//! applies (a resource ID is set, an ARM token can be had with the same
//! credential), runs it, and replaces the `membership` finding with what
//! the workspace then said.

use std::time::Duration;

use entra_token::summary::{principal, Principal};
use entra_token::{Check, Status, Token};

use crate::cli::OnlineArgs;
use crate::commands::check::{online_options, Checked};
use crate::error::CliError;
use crate::flows::settings::{self, Flags};
use crate::flows::{self, ClientCredential, Endpoint, FlowError, Http, Target};
use crate::net::databrickscfg::ProcessEnv;
use crate::net::workspace;
use crate::net::Plan;

/// The Azure Resource Manager resource (v1.0), as the SDKs ask for it.
pub const ARM_RESOURCE: &str = "https://management.core.windows.net/";

/// How to get the ARM token: the credential the Entra token came from.
pub(crate) enum Arm {
    Credential {
        ep: Endpoint,
        client_id: String,
        cred: ClientCredential,
    },
    /// Why there is none.
    Unavailable(String),
}

/// The ARM credential from the settings (`AZURE_*`, `ARM_*`, the profile),
/// when they are a secret or certificate of the token's own application.
pub(crate) fn arm_from_settings(
    app: &str,
    token: &Token,
    online: &OnlineArgs,
    tenant: Option<&str>,
    certificate: Option<std::path::PathBuf>,
) -> Arm {
    let flags = Flags {
        tenant: tenant.map(str::to_owned),
        client_id: online.client_id.clone(),
        certificate,
        username: None,
        authority: online.authority.clone(),
        workspace: online.workspace.clone(),
        profile: online.profile.clone(),
    };
    let s = match settings::resolve(&flags, &ProcessEnv) {
        Ok(s) => s,
        Err(e) => return Arm::Unavailable(e),
    };
    let configured = s.client_id.as_ref().map(|c| c.value.clone());
    if !configured
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(app))
    {
        return Arm::Unavailable(format!(
            "no client secret or certificate of the application {app} is configured (AZURE_CLIENT_ID/ARM_CLIENT_ID with AZURE_CLIENT_SECRET/ARM_CLIENT_SECRET, or azure_client_id and azure_client_secret in the profile)"
        ));
    }
    let cred = if let Some(sec) = &s.client_secret {
        ClientCredential::Secret(sec.value.clone())
    } else if let Some(c) = &s.certificate {
        match flows::assertion::Certificate::from_file(&c.value) {
            Ok(c) => ClientCredential::Certificate(c),
            Err(e) => return Arm::Unavailable(e),
        }
    } else {
        return Arm::Unavailable(format!(
            "the application {app} is configured without a client secret or certificate"
        ));
    };
    let tid = token
        .payload_value()
        .get("tid")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let Some(tenant) = s.tenant.map(|t| t.value).or(tid) else {
        return Arm::Unavailable("no tenant is known for the ARM token".into());
    };
    Arm::Credential {
        ep: Endpoint {
            authority: s.authority.value,
            tenant,
        },
        client_id: app.to_owned(),
        cred,
    }
}

fn append_fix(checked: &mut Checked, note: &str) {
    if let Some(f) = checked
        .report
        .findings
        .iter_mut()
        .find(|f| f.check == Check::Membership)
    {
        f.fix = Some(match f.fix.take() {
            Some(fix) => format!("{fix} {note}"),
            None => note.to_owned(),
        });
    }
}

/// The management-token path after a check whose `membership` failed for
/// a service principal. `arm` is asked only when the path applies.
pub(crate) fn retry(
    checked: &mut Checked,
    online: &OnlineArgs,
    arm: impl FnOnce(&str, &Token) -> Arm,
) -> Result<(), CliError> {
    let failed = checked
        .report
        .get(Check::Membership)
        .is_some_and(|f| f.status == Status::Fail);
    if !failed || online.offline {
        return Ok(());
    }
    // The token the check read (none: it did not parse).
    let Some(token) = checked.token.as_ref() else {
        return Ok(());
    };
    let Principal::ServicePrincipal { app_id, .. } = principal(&token.claims()) else {
        return Ok(());
    };
    // The check's own answer to SCIM `Me` (not asked again): only "not a
    // member" is what this path changes.
    if !checked
        .outcome
        .membership_answer
        .as_ref()
        .is_some_and(workspace::refused_as_not_member)
    {
        return Ok(());
    }
    let plan = Plan::resolve(&online_options(online, None, None, true), &ProcessEnv)
        .map_err(CliError::Usage)?;
    let Some(ws) = plan.workspace.clone() else {
        return Ok(());
    };
    let resource_id = online
        .workspace_resource_id
        .clone()
        .filter(|r| !r.trim().is_empty())
        .or(plan.resource_id.clone());
    let http =
        Http::new(online.net.connect_timeout, online.net.timeout).map_err(CliError::Usage)?;
    let rt = crate::commands::network_runtime()?;
    let compact = token.compact().to_owned();
    let result = rt.block_on(async {
        let Some(resource_id) = resource_id else {
            return Ok(Some(Err(format!(
                "If the service principal {app_id} is Contributor or Owner on the workspace's Azure resource, the management-token path lets it in without being a member: set azure_workspace_resource_id (DATABRICKS_AZURE_RESOURCE_ID) or --workspace-resource-id to that resource ID."
            ))));
        };
        let (ep, client_id, cred) = match arm(&app_id, token) {
            Arm::Credential { ep, client_id, cred } => (ep, client_id, cred),
            Arm::Unavailable(why) => {
                return Ok(Some(Err(format!(
                    "The management-token path applies (the resource ID {resource_id} is set), but no ARM token can be had here: {why}."
                ))))
            }
        };
        let target = Target::V1 {
            resource: ARM_RESOURCE.to_owned(),
        };
        let arm_token = match flows::client_credentials(&http, &ep, &target, &client_id, &cred).await {
            Ok(t) => t.access_token,
            Err(FlowError::Refused { body, .. }) => {
                let said = entra_explain::parse(&body)
                    .ok()
                    .and_then(|r| r.description)
                    .map(|d| entra_token::text::clip(&d, 300))
                    .unwrap_or_else(|| entra_token::text::clip(body.trim(), 300));
                return Ok(Some(Err(format!(
                    "The management-token path applies (the resource ID {resource_id} is set), but Entra ID refused the ARM token ({ARM_RESOURCE}): {said}"
                ))));
            }
            Err(FlowError::Failed(m)) => {
                return Ok(Some(Err(format!(
                    "The management-token path applies, but the ARM token could not be had: {m}"
                ))))
            }
        };
        workspace::membership_with_management(&http, &ws, &compact, (&arm_token, &resource_id))
            .await
            .map(|m| Some(Ok((m, resource_id))))
    });
    rt.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(None) => {}
        Err(e) => append_fix(
            checked,
            &format!("The management-token path could not be tried: {e}."),
        ),
        Ok(Some(Err(note))) => append_fix(checked, &note),
        Ok(Some(Ok((m, resource_id)))) => {
            checked.report.set(workspace::management_finding(
                &ws,
                &app_id,
                &resource_id,
                &m,
            ));
        }
    }
    Ok(())
}

//! The Azure CLI: `az account get-access-token --resource … --output json`.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::flows::{num, FlowError, Target, TokenResponse, MAX_BODY};

/// Runs `az` (the program named `program`, normally `az`) and reads its JSON.
pub async fn get_token(
    program: &str,
    target: &Target,
    tenant: Option<&str>,
    timeout: Duration,
) -> Result<TokenResponse, FlowError> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(["account", "get-access-token", "--output", "json"]);
    match target {
        Target::V1 { resource } => cmd.args(["--resource", resource]),
        Target::V2 { scope } => cmd.args(["--scope", scope]),
    };
    if let Some(t) = tenant {
        cmd.args(["--tenant", t]);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let shown = format!("{program} account get-access-token");
    let child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            FlowError::Failed(format!("'{program}' was not found on PATH: install the Azure CLI (https://aka.ms/azcli) and run 'az login', or choose another --flow"))
        } else {
            FlowError::Failed(format!("cannot run {shown}: {e}"))
        }
    })?;
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| {
            FlowError::Failed(format!(
                "{shown} did not finish within {}s",
                timeout.as_secs()
            ))
        })?
        .map_err(|e| FlowError::Failed(format!("{shown}: {e}")))?;
    let clip = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(MAX_BODY)]).into_owned();
    if !out.status.success() {
        return Err(FlowError::Refused {
            url: shown,
            status: None,
            body: clip(&out.stderr),
        });
    }
    let m: Map<String, Value> = serde_json::from_slice(&out.stdout).map_err(|e| {
        FlowError::Failed(format!("{shown} printed something that is not JSON: {e}"))
    })?;
    let access_token = m
        .get("accessToken")
        .and_then(Value::as_str)
        .ok_or_else(|| FlowError::Failed(format!("{shown}: no accessToken in its output")))?;
    let expires_on = num(m.get("expires_on")).unwrap_or_else(|| super::now() + 3000);
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(TokenResponse {
        access_token: access_token.to_owned(),
        token_type: s("tokenType").unwrap_or_else(|| "Bearer".into()),
        expires_on,
        tenant: s("tenant"),
        subscription: s("subscription"),
    })
}

//! Device code: ask for a code, show it, poll at the interval given, slow
//! down when told to, stop when the code expires.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::flows::{num, pair, Endpoint, FlowError, Http, Target, TokenResponse};

/// Longest we keep polling, whatever the server says.
const MAX_WAIT: Duration = Duration::from_secs(30 * 60);
/// RFC 8628 §3.5: on `slow_down`, the interval grows by 5 seconds.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// What the device-code endpoint gave. Its `Debug` hides `device_code`,
/// which can be exchanged for a token.
#[derive(Clone)]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    pub message: String,
    pub expires_in: u64,
    pub interval: u64,
    device_code: String,
}

impl std::fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCode")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .field("device_code", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// Asks for a device code.
pub async fn start(
    http: &Http,
    ep: &Endpoint,
    target: &Target,
    client_id: &str,
) -> Result<DeviceCode, FlowError> {
    let url = ep.devicecode_url(target);
    let mut form = vec![pair("client_id", client_id)];
    target.add_to(&mut form);
    let (status, body) = http.post_form(&url, &form).await?;
    let m: Option<Map<String, Value>> = serde_json::from_slice(&body).ok();
    let refused = || FlowError::Refused {
        url: url.clone(),
        status: Some(status),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let Some(m) = m.filter(|_| status == 200) else {
        return Err(refused());
    };
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(user_code), Some(device_code)) = (s("user_code"), s("device_code")) else {
        return Err(refused());
    };
    let verification_uri = s("verification_uri")
        .or_else(|| s("verification_url"))
        .unwrap_or_default();
    let message = s("message").unwrap_or_else(|| {
        format!("To sign in, open {verification_uri} and enter the code {user_code}.")
    });
    Ok(DeviceCode {
        user_code,
        verification_uri,
        message,
        expires_in: num(m.get("expires_in"))
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(900),
        interval: num(m.get("interval"))
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(5),
        device_code,
    })
}

/// Polls the token endpoint until the user signs in, the code expires, or Entra refuses.
pub async fn poll(
    http: &Http,
    ep: &Endpoint,
    target: &Target,
    client_id: &str,
    dc: &DeviceCode,
) -> Result<TokenResponse, FlowError> {
    let url = ep.token_url(target);
    let lifetime = Duration::from_secs(dc.expires_in).min(MAX_WAIT);
    let deadline = Instant::now() + lifetime;
    let mut interval = Duration::from_secs(dc.interval.clamp(1, 60));
    let mut form = if target.is_v2() {
        vec![
            pair("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            pair("client_id", client_id),
            pair("device_code", &dc.device_code),
        ]
    } else {
        vec![
            pair("grant_type", "device_code"),
            pair("client_id", client_id),
            pair("code", &dc.device_code),
        ]
    };
    target.add_to(&mut form);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(FlowError::Failed(format!(
                "the device code expired after {}s before anyone signed in with it; run the command again and enter the code sooner",
                lifetime.as_secs()
            )));
        }
        tokio::time::sleep(interval.min(left)).await;
        match http.token(&url, &form).await {
            Ok(t) => return Ok(t),
            Err(FlowError::Refused { url, status, body }) => {
                let error = serde_json::from_str::<Map<String, Value>>(&body)
                    .ok()
                    .and_then(|m| m.get("error").and_then(Value::as_str).map(str::to_owned));
                match error.as_deref() {
                    Some("authorization_pending") => {}
                    Some("slow_down") => interval += SLOW_DOWN_STEP,
                    _ => return Err(FlowError::Refused { url, status, body }),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use entra_emulator::{Emulator, EmulatorConfig, RunningEmulator, DEMO_SP_APP_ID};
use serde_json::Value;

/// The text of a real Entra metadata file captured in the shared test data.
pub fn real_metadata_text(file: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/entra-metadata/identitymodel-OpenIdConfigData");
    let path = dir.join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A real Entra metadata file, parsed.
pub fn real_metadata(file: &str) -> Value {
    serde_json::from_str(&real_metadata_text(file)).expect("real metadata is JSON")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub fn no_redirect_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub async fn get_json(url: &str) -> (u16, Value) {
    let r = client().get(url).send().await.expect("request");
    let status = r.status().as_u16();
    let body = r.json::<Value>().await.expect("JSON body");
    (status, body)
}

/// The status of a GET.
pub async fn get_status(url: &str) -> u16 {
    client()
        .get(url)
        .send()
        .await
        .expect("get")
        .status()
        .as_u16()
}

/// POSTs a form, with Basic client credentials if given: the status and the JSON body.
pub async fn post_form(
    url: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, Value) {
    let mut r = client().post(url).form(form);
    if let Some((id, secret)) = basic {
        r = r.basic_auth(id, Some(secret));
    }
    let r = r.send().await.expect("request");
    let s = r.status().as_u16();
    (s, r.json().await.expect("json"))
}

/// Databricks M2M at a token endpoint: client credentials of the demo service principal
/// ([`DEMO_SP_APP_ID`]) with `secret`, scope `all-apis`.
pub async fn databricks_m2m(token_url: &str, secret: &str) -> (u16, Value) {
    post_form(
        token_url,
        &[("grant_type", "client_credentials"), ("scope", "all-apis")],
        Some((DEMO_SP_APP_ID, secret)),
    )
    .await
}

/// GET with a Bearer token: the status and the JSON body.
pub async fn get_bearer(url: &str, token: &str) -> (u16, Value) {
    let r = client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let s = r.status().as_u16();
    (s, r.json().await.expect("json"))
}

/// The emulator with the demo configuration ([`EmulatorConfig::default`]).
pub async fn start_demo() -> RunningEmulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("start")
}

/// The SCIM `Me` URL of a workspace of the emulator.
pub fn scim_me_url(emu: &RunningEmulator, ws: &str) -> String {
    format!(
        "{}/api/2.0/preview/scim/v2/Me",
        emu.workspace_url(ws).expect("workspace")
    )
}

/// SCIM `Me` on a workspace with a Bearer token: the status and the JSON body.
pub async fn scim_me(emu: &RunningEmulator, ws: &str, token: &str) -> (u16, Value) {
    scim_me_with(emu, ws, token, &[]).await
}

/// [`scim_me`] with extra request headers.
pub async fn scim_me_with(
    emu: &RunningEmulator,
    ws: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut r = client().get(scim_me_url(emu, ws)).bearer_auth(token);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let r = r.send().await.expect("request");
    let s = r.status().as_u16();
    (s, r.json().await.expect("json"))
}

/// Decodes one base64url segment of a JWS as JSON.
pub fn segment(token: &str, i: usize) -> Value {
    let seg = token.split('.').nth(i).expect("segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(seg).expect("b64url")).expect("json")
}

/// Member names of a JSON object, in the order they appear in its text.
pub fn member_names_in_order(json_text: &str) -> Vec<String> {
    // Enough for flat objects of the emulator's making: read "name": at depth 1.
    let mut names = Vec::new();
    let bytes = json_text.as_bytes();
    let (mut depth, mut i) = (0i32, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let s = &json_text[start..j];
                let mut k = j + 1;
                while k < bytes.len() && bytes[k] == b' ' {
                    k += 1;
                }
                if depth == 1 && k < bytes.len() && bytes[k] == b':' {
                    names.push(s.to_owned());
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    names
}

//! Reads the registered redirect URIs (with their platform) out of an app-registration manifest.

use serde_json::Value;

use super::redirect::{Platform, RegisteredUri};
use super::{ExplainError, MAX_MANIFEST_BYTES};
use entra_token::limits::{json_depth_exceeds, MAX_JSON_DEPTH};

/// Reads the registered redirect URIs from an app-registration manifest:
/// the legacy Azure AD manifest (`replyUrlsWithType: [{url, type}]`, or
/// plain `replyUrls`) or the Microsoft Graph application manifest
/// (`web.redirectUris`, `web.redirectUriSettings`, `publicClient.redirectUris`,
/// `spa.redirectUris`). A Graph answer wrapped in `{"value": [app]}` works too.
pub fn registered_from_manifest(json: &str) -> Result<Vec<RegisteredUri>, ExplainError> {
    if json.len() > MAX_MANIFEST_BYTES {
        return Err(ExplainError::TooLarge {
            len: json.len(),
            max: MAX_MANIFEST_BYTES,
        });
    }
    if json.trim().is_empty() {
        return Err(ExplainError::Empty);
    }
    if json_depth_exceeds(json.as_bytes(), MAX_JSON_DEPTH) {
        return Err(ExplainError::ManifestTooDeep {
            max: MAX_JSON_DEPTH,
        });
    }
    let value: Value = serde_json::from_str(json.trim_start_matches('\u{feff}')).map_err(|e| {
        ExplainError::ManifestJson {
            reason: e.to_string(),
        }
    })?;
    let app = match &value {
        Value::Object(m) => match m.get("value") {
            Some(Value::Array(items))
                if !m.contains_key("web") && !m.contains_key("replyUrlsWithType") =>
            {
                items
                    .first()
                    .and_then(Value::as_object)
                    .ok_or(ExplainError::ManifestNotObject)?
            }
            _ => m,
        },
        _ => return Err(ExplainError::ManifestNotObject),
    };
    let mut out: Vec<RegisteredUri> = Vec::new();
    let mut saw_field = false;
    let mut push = |url: &str, platform: Platform| {
        let url = url.trim();
        if !url.is_empty() && !out.iter().any(|r| r.url == url && r.platform == platform) {
            out.push(RegisteredUri {
                url: url.to_owned(),
                platform,
            });
        }
    };
    if let Some(list) = app.get("replyUrlsWithType").and_then(Value::as_array) {
        saw_field = true;
        for item in list {
            let Some(url) = item.get("url").and_then(Value::as_str) else {
                continue;
            };
            let platform = match item
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("web") => Platform::Web,
                Some("installedclient") | Some("publicclient") => Platform::PublicClient,
                Some("spa") => Platform::Spa,
                _ => Platform::Unknown,
            };
            push(url, platform);
        }
    } else if let Some(list) = app.get("replyUrls").and_then(Value::as_array) {
        saw_field = true;
        for url in list.iter().filter_map(Value::as_str) {
            push(url, Platform::Unknown);
        }
    }
    for (key, platform) in [
        ("web", Platform::Web),
        ("publicClient", Platform::PublicClient),
        ("spa", Platform::Spa),
    ] {
        let Some(section) = app.get(key).and_then(Value::as_object) else {
            continue;
        };
        if let Some(list) = section.get("redirectUris").and_then(Value::as_array) {
            saw_field = true;
            for url in list.iter().filter_map(Value::as_str) {
                push(url, platform);
            }
        }
        if let Some(list) = section.get("redirectUriSettings").and_then(Value::as_array) {
            saw_field = true;
            for url in list
                .iter()
                .filter_map(|s| s.get("uri").and_then(Value::as_str))
            {
                push(url, platform);
            }
        }
    }
    if !saw_field {
        return Err(ExplainError::ManifestNoRedirectFields);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_legacy_manifest() {
        let m = r#"{
          "id": "8c2a5f7e-0000-4000-8000-000000000001",
          "appId": "0d0c1e2a-1111-4222-8333-444455556666",
          "replyUrlsWithType": [
            {"url": "https://app.example.com/cb", "type": "Web"},
            {"url": "http://localhost:8020", "type": "InstalledClient"},
            {"url": "https://spa.example.com", "type": "Spa"}
          ],
          "signInAudience": "AzureADMyOrg"
        }"#;
        let r = registered_from_manifest(m).unwrap();
        assert_eq!(
            r,
            vec![
                RegisteredUri {
                    url: "https://app.example.com/cb".into(),
                    platform: Platform::Web
                },
                RegisteredUri {
                    url: "http://localhost:8020".into(),
                    platform: Platform::PublicClient
                },
                RegisteredUri {
                    url: "https://spa.example.com".into(),
                    platform: Platform::Spa
                },
            ]
        );
    }

    #[test]
    fn reads_graph_manifest() {
        let m = r#"{
          "appId": "0d0c1e2a-1111-4222-8333-444455556666",
          "isFallbackPublicClient": true,
          "web": {"redirectUris": ["https://app.example.com/cb"], "implicitGrantSettings": {"enableIdTokenIssuance": false}},
          "publicClient": {"redirectUris": ["http://localhost", "ms-appx-web://microsoft.aad.brokerplugin/0d0c1e2a-1111-4222-8333-444455556666"]},
          "spa": {"redirectUris": []}
        }"#;
        let r = registered_from_manifest(m).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[1],
            RegisteredUri {
                url: "http://localhost".into(),
                platform: Platform::PublicClient
            }
        );
        let wrapped = format!(r#"{{"value": [{m}]}}"#);
        assert_eq!(registered_from_manifest(&wrapped).unwrap(), r);
        let settings =
            r#"{"web": {"redirectUriSettings": [{"uri": "https://a.example/cb", "index": null}]}}"#;
        assert_eq!(
            registered_from_manifest(settings).unwrap()[0].platform,
            Platform::Web
        );
    }

    #[test]
    fn manifest_errors_are_clear() {
        assert!(matches!(
            registered_from_manifest("{nope"),
            Err(ExplainError::ManifestJson { .. })
        ));
        assert_eq!(
            registered_from_manifest("[1, 2]"),
            Err(ExplainError::ManifestNotObject)
        );
        assert_eq!(
            registered_from_manifest(r#"{"displayName": "x"}"#),
            Err(ExplainError::ManifestNoRedirectFields)
        );
        assert_eq!(registered_from_manifest("  "), Err(ExplainError::Empty));
        assert!(matches!(
            registered_from_manifest(&"[".repeat(100)),
            Err(ExplainError::ManifestTooDeep { .. })
        ));
        let big = format!(r#"{{"replyUrls": ["{}"]}}"#, "a".repeat(MAX_MANIFEST_BYTES));
        assert!(matches!(
            registered_from_manifest(&big),
            Err(ExplainError::TooLarge { .. })
        ));
        // An app with no redirect URIs at all is a valid, empty answer.
        assert_eq!(
            registered_from_manifest(r#"{"web": {"redirectUris": []}}"#).unwrap(),
            vec![]
        );
    }
}

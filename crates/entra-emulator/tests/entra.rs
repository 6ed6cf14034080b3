#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! The Entra side: discovery documents, key sets, errors, aliases, rotation, minting.

use crate::common;

use std::collections::BTreeSet;

use aws_lc_rs::digest;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::{client, get_json, member_names_in_order, real_metadata, segment};
use entra_emulator::{
    Emulator, EmulatorConfig, IssuerConfig, KeyChoice, MintRequest, TenantConfig, TokenVersion,
    CONSUMER_TENANT_ID, DATABRICKS_RESOURCE_ID, DEMO_APP_WITH_KEYS, DEMO_SP_APP_ID,
    DEMO_TENANT_DOMAIN, DEMO_TENANT_ID, DEMO_USER,
};
use serde_json::Value;

fn names(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

#[tokio::test]
async fn discovery_documents_have_the_real_field_sets() {
    let emu = common::start_demo().await;
    let base = emu.base_url().to_owned();
    for (version, real_file, issuer) in [
        (
            TokenVersion::V1,
            "common-v1-openid-configuration.json",
            format!("https://sts.windows.net/{DEMO_TENANT_ID}/"),
        ),
        (
            TokenVersion::V2,
            "common-v2.0-openid-configuration.json",
            format!("https://login.microsoftonline.com/{DEMO_TENANT_ID}/v2.0"),
        ),
    ] {
        let real = real_metadata(real_file);
        let url = emu.discovery_url(DEMO_TENANT_ID, version);
        let text = client()
            .get(&url)
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text");
        let ours: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(names(&ours), names(&real), "{version:?} field set");
        // Same member order as Entra's document, too.
        assert_eq!(
            member_names_in_order(&text),
            member_names_in_order(&common::real_metadata_text(real_file)),
            "{version:?} member order"
        );
        assert_eq!(ours["issuer"], Value::from(issuer.clone()));
        assert_eq!(emu.issuer(DEMO_TENANT_ID, version), issuer);
        // Every value has the real value's JSON type (string, bool, array, ...), except
        // tenant_region_scope, which is null for "common" and a string for a tenant.
        for (k, v) in real.as_object().expect("obj") {
            if k == "tenant_region_scope" {
                assert_eq!(ours[k], Value::from("NA"));
                continue;
            }
            assert_eq!(
                std::mem::discriminant(v),
                std::mem::discriminant(&ours[k]),
                "{version:?} {k}"
            );
            // Endpoints on login.microsoftonline.com are rewritten to the emulator.
            if let Some(s) = v.as_str() {
                if s.starts_with("https://login.microsoftonline.com/common/") {
                    let o = ours[k].as_str().expect("str");
                    assert!(
                        o.starts_with(&format!("{base}/{DEMO_TENANT_ID}/")),
                        "{k}: {o}"
                    );
                    let suffix = s.trim_start_matches("https://login.microsoftonline.com/common");
                    assert!(o.ends_with(suffix), "{k}: {o} vs {s}");
                }
            }
            if v.is_array() && k != "claims_supported" {
                assert_eq!(&ours[k], v, "{version:?} {k}");
            }
        }
        assert_eq!(ours["claims_supported"], real["claims_supported"]);
        assert_eq!(
            ours["jwks_uri"],
            Value::from(emu.jwks_url(DEMO_TENANT_ID, version))
        );
        // No URL leaves loopback except the documented host names.
        for (k, v) in ours.as_object().expect("obj") {
            if let Some(s) = v.as_str() {
                if s.starts_with("http") && k != "issuer" && k != "rbac_url" {
                    assert!(s.starts_with("http://127.0.0.1:"), "{k}: {s}");
                }
            }
        }
    }
    emu.shutdown_async().await;
}

#[tokio::test]
async fn aliases_domains_and_templated_issuers() {
    let emu = common::start_demo().await;
    let b = emu.base_url().to_owned();

    let (s, by_domain) = get_json(&format!(
        "{b}/{DEMO_TENANT_DOMAIN}/v2.0/.well-known/openid-configuration"
    ))
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        by_domain["issuer"],
        Value::from(format!(
            "https://login.microsoftonline.com/{DEMO_TENANT_ID}/v2.0"
        ))
    );
    assert!(by_domain["token_endpoint"]
        .as_str()
        .expect("str")
        .contains(DEMO_TENANT_DOMAIN));

    let (s, common) = get_json(&format!("{b}/common/v2.0/.well-known/openid-configuration")).await;
    assert_eq!(s, 200);
    assert_eq!(
        common["issuer"],
        real_metadata("common-v2.0-openid-configuration.json")["issuer"]
    );
    assert_eq!(common["tenant_region_scope"], Value::Null);
    let (_, common_v1) = get_json(&format!("{b}/common/.well-known/openid-configuration")).await;
    assert_eq!(
        common_v1["issuer"],
        real_metadata("common-v1-openid-configuration.json")["issuer"]
    );
    let (_, consumers) = get_json(&format!(
        "{b}/consumers/v2.0/.well-known/openid-configuration"
    ))
    .await;
    assert_eq!(
        consumers["issuer"],
        Value::from(format!(
            "https://login.microsoftonline.com/{CONSUMER_TENANT_ID}/v2.0"
        ))
    );

    // The consumer key is in common and tenant v2.0 sets, never in organizations or v1.0.
    let (_, common_keys) = get_json(&format!("{b}/common/discovery/v2.0/keys")).await;
    let (_, org_keys) = get_json(&format!("{b}/organizations/discovery/v2.0/keys")).await;
    let (_, consumer_keys) = get_json(&format!("{b}/consumers/discovery/v2.0/keys")).await;
    let (_, tenant_v1) = get_json(&format!("{b}/{DEMO_TENANT_ID}/discovery/keys")).await;
    let consumer_issuer = format!("https://login.microsoftonline.com/{CONSUMER_TENANT_ID}/v2.0");
    let has_consumer = |v: &Value| {
        v["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["issuer"] == consumer_issuer)
    };
    assert!(has_consumer(&common_keys));
    assert!(!has_consumer(&org_keys));
    assert!(has_consumer(&consumer_keys));
    assert_eq!(kids(&consumer_keys).len(), 1);
    assert!(tenant_v1["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .all(|k| k.get("issuer").is_none()));
    emu.shutdown_async().await;
}

fn check_key(k: &Value, v2: bool) {
    let mut expected: BTreeSet<String> = ["kty", "use", "kid", "x5t", "n", "e", "x5c"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    if v2 {
        expected.insert("issuer".into());
    }
    assert_eq!(names(k), expected);
    assert_eq!(k["kty"], "RSA");
    assert_eq!(k["use"], "sig");
    let der = STANDARD
        .decode(k["x5c"][0].as_str().expect("x5c"))
        .expect("x5c is standard base64");
    let thumb = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der));
    assert_eq!(
        k["kid"],
        Value::from(thumb.clone()),
        "kid == base64url(SHA-1(x5c[0]))"
    );
    assert_eq!(k["x5t"], Value::from(thumb));

    let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("certificate");
    let spki = cert.public_key().parsed().expect("public key");
    let x509_parser::public_key::PublicKey::RSA(rsa) = spki else {
        panic!("not RSA")
    };
    let strip = |b: &[u8]| {
        let i = b.iter().position(|x| *x != 0).unwrap_or(0);
        b[i..].to_vec()
    };
    let n = URL_SAFE_NO_PAD
        .decode(k["n"].as_str().expect("n"))
        .expect("n b64url");
    let e = URL_SAFE_NO_PAD
        .decode(k["e"].as_str().expect("e"))
        .expect("e b64url");
    assert_eq!(strip(rsa.modulus), n, "x5c modulus == n");
    assert_eq!(strip(rsa.exponent), e, "x5c exponent == e");
    assert_eq!(n.len(), 256, "RSA-2048");
    assert_eq!(cert.subject(), cert.issuer(), "self-signed");
    let cn = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|c| c.as_str().ok())
        .expect("CN")
        .to_owned();
    assert!(
        cn == "accounts.accesscontrol.windows.net" || cn == "Live ID STS Signing Public Key",
        "{cn}"
    );
}

#[tokio::test]
async fn key_sets_look_like_entras() {
    let emu = common::start_demo().await;
    let real_v1 = real_metadata("common-v1-discovery-keys.json");
    let real_v2 = real_metadata("common-v2.0-discovery-keys.json");
    let (s, v1) = get_json(&emu.jwks_url(DEMO_TENANT_ID, TokenVersion::V1)).await;
    assert_eq!(s, 200);
    let (s, v2) = get_json(&emu.jwks_url(DEMO_TENANT_ID, TokenVersion::V2)).await;
    assert_eq!(s, 200);
    assert_eq!(names(&v1), names(&real_v1));
    assert_eq!(names(&v1["keys"][0]), names(&real_v1["keys"][0]));
    assert_eq!(names(&v2["keys"][0]), names(&real_v2["keys"][0]));
    for k in v1["keys"].as_array().expect("keys") {
        check_key(k, false);
    }
    for k in v2["keys"].as_array().expect("keys") {
        check_key(k, true);
    }
    // Tenant key: templated issuer, as Entra's; consumer key: the consumer tenant's.
    assert_eq!(v2["keys"][0]["issuer"], real_v2["keys"][0]["issuer"]);
    let consumer = v2["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["issuer"] != real_v2["keys"][0]["issuer"])
        .expect("consumer key in the tenant v2 set");
    assert_eq!(consumer["issuer"], real_v2["keys"][7]["issuer"]);
    assert_eq!(
        kids(&v1),
        vec![emu.current_kid(DEMO_TENANT_ID).expect("kid")]
    );
    // The library's view equals what is served.
    assert_eq!(
        emu.jwks(DEMO_TENANT_ID, TokenVersion::V1).expect("jwks"),
        v1
    );
    emu.shutdown_async().await;
}

#[tokio::test]
async fn app_specific_keys_only_with_appid() {
    let emu = common::start_demo().await;
    let app_token = emu
        .mint(&MintRequest::user(DEMO_USER).key(KeyChoice::AppSpecific(DEMO_APP_WITH_KEYS.into())));
    let app_kid = segment(&app_token, 0)["kid"]
        .as_str()
        .expect("kid")
        .to_owned();
    for v in [TokenVersion::V1, TokenVersion::V2] {
        let plain = emu.jwks_url(DEMO_TENANT_ID, v);
        let (_, keys) = get_json(&plain).await;
        assert!(!kids(&keys).contains(&app_kid), "{v:?} plain set");
        let (s, keys) = get_json(&format!("{plain}?appid={DEMO_APP_WITH_KEYS}")).await;
        assert_eq!(s, 200);
        assert_eq!(kids(&keys), vec![app_kid.clone()], "{v:?} appid set");
        for k in keys["keys"].as_array().expect("keys") {
            check_key(k, v == TokenVersion::V2);
        }
        // An app without its own keys gets the tenant's keys.
        let (_, other) = get_json(&format!("{plain}?appid={DEMO_SP_APP_ID}")).await;
        assert!(kids(&other).contains(&emu.current_kid(DEMO_TENANT_ID).expect("kid")));
        // The discovery document carries ?appid= over to jwks_uri.
        let (_, doc) = get_json(&format!(
            "{}?appid={DEMO_APP_WITH_KEYS}",
            emu.discovery_url(DEMO_TENANT_ID, v)
        ))
        .await;
        assert_eq!(
            doc["jwks_uri"],
            Value::from(format!("{plain}?appid={DEMO_APP_WITH_KEYS}"))
        );
    }
    emu.shutdown_async().await;
}

#[tokio::test]
async fn unknown_tenant_answers_like_entra() {
    let emu = common::start_demo().await;
    let b = emu.base_url().to_owned();
    let missing = "00000000-1111-4222-8333-444444444444";
    for path in [
        format!("{missing}/.well-known/openid-configuration"),
        format!("{missing}/v2.0/.well-known/openid-configuration"),
        format!("{missing}/discovery/keys"),
        format!("{missing}/discovery/v2.0/keys"),
    ] {
        let (s, body) = get_json(&format!("{b}/{path}")).await;
        assert_eq!(s, 400, "{path}");
        assert_eq!(body["error"], "invalid_tenant");
        let desc = body["error_description"].as_str().expect("description");
        assert!(
            desc.starts_with(&format!("AADSTS90002: Tenant '{missing}' not found.")),
            "{desc}"
        );
        assert!(desc.contains("\r\nTrace ID: "));
        assert_eq!(body["error_codes"], serde_json::json!([90002]));
        for k in ["timestamp", "trace_id", "correlation_id"] {
            assert!(body[k].is_string(), "{k}");
        }
        assert!(body["timestamp"].as_str().expect("ts").ends_with('Z'));
    }
    let (s, body) = get_json(&format!("{b}/not-a-tenant/discovery/keys")).await;
    assert_eq!(s, 400);
    assert_eq!(body["error_codes"], serde_json::json!([900023]));
    emu.shutdown_async().await;
}

#[tokio::test]
async fn minted_tokens_look_like_entra_tokens() {
    let emu = common::start_demo().await;
    let kid = emu.current_kid(DEMO_TENANT_ID).expect("kid");

    let v1 = emu.mint(&MintRequest::user(DEMO_USER));
    let header_text = String::from_utf8(
        URL_SAFE_NO_PAD
            .decode(v1.split('.').next().expect("h"))
            .expect("b64"),
    )
    .expect("utf8");
    assert_eq!(
        member_names_in_order(&header_text),
        ["typ", "alg", "x5t", "kid"]
    );
    let h = segment(&v1, 0);
    assert_eq!(h["typ"], "JWT");
    assert_eq!(h["alg"], "RS256");
    assert_eq!(h["kid"], Value::from(kid.clone()));
    assert_eq!(h["x5t"], Value::from(kid.clone()));
    let c = segment(&v1, 1);
    for claim in [
        "aud",
        "iss",
        "iat",
        "nbf",
        "exp",
        "acr",
        "aio",
        "amr",
        "appid",
        "appidacr",
        "family_name",
        "given_name",
        "ipaddr",
        "name",
        "oid",
        "puid",
        "rh",
        "scp",
        "sub",
        "tid",
        "unique_name",
        "upn",
        "uti",
        "ver",
    ] {
        assert!(c.get(claim).is_some(), "v1 user claim {claim}");
    }
    assert_eq!(c["aud"], DATABRICKS_RESOURCE_ID);
    assert_eq!(
        c["iss"],
        Value::from(format!("https://sts.windows.net/{DEMO_TENANT_ID}/"))
    );
    assert_eq!(c["ver"], "1.0");
    assert_eq!(c["upn"], DEMO_USER);
    assert_eq!(c["unique_name"], DEMO_USER);
    let (iat, exp) = (
        c["iat"].as_i64().expect("iat"),
        c["exp"].as_i64().expect("exp"),
    );
    assert!(exp > iat + 3600);

    let v2 = emu.mint(&MintRequest::user(DEMO_USER).v2());
    let h = segment(&v2, 0);
    assert!(h.get("x5t").is_none());
    let c = segment(&v2, 1);
    assert_eq!(
        c["iss"],
        Value::from(format!(
            "https://login.microsoftonline.com/{DEMO_TENANT_ID}/v2.0"
        ))
    );
    assert_eq!(c["ver"], "2.0");
    assert_eq!(c["preferred_username"], DEMO_USER);
    for claim in ["azp", "azpacr", "oid", "sub", "tid", "uti", "scp"] {
        assert!(c.get(claim).is_some(), "v2 user claim {claim}");
    }

    let sp = emu.mint(&MintRequest::service_principal(DEMO_SP_APP_ID));
    let c = segment(&sp, 1);
    assert_eq!(c["appid"], DEMO_SP_APP_ID);
    assert_eq!(c["idtyp"], "app");
    assert!(c.get("upn").is_none() && c.get("scp").is_none());
    let sp2 = emu.mint(&MintRequest::service_principal(DEMO_SP_APP_ID).v2());
    let c = segment(&sp2, 1);
    assert_eq!(c["azp"], DEMO_SP_APP_ID);
    assert_eq!(c["idtyp"], "app");

    // Overrides.
    let t = emu.mint(
        &MintRequest::user(DEMO_USER)
            .claim("scp", "all-apis")
            .without_claim("ipaddr")
            .alg("HS256")
            .kid(entra_emulator::HeaderValue::Omit)
            .header(entra_emulator::HeaderOverrides {
                nonce: entra_emulator::HeaderValue::Set("abc".into()),
                alg: entra_emulator::HeaderValue::Set("HS256".into()),
                kid: entra_emulator::HeaderValue::Omit,
                extra: vec![("jku".into(), Value::from("https://example.invalid/keys"))],
                ..Default::default()
            }),
    );
    let h = segment(&t, 0);
    assert_eq!(h["alg"], "HS256");
    assert_eq!(h["nonce"], "abc");
    assert!(h.get("kid").is_none());
    assert_eq!(h["jku"], "https://example.invalid/keys");
    let c = segment(&t, 1);
    assert_eq!(c["scp"], "all-apis");
    assert!(c.get("ipaddr").is_none());
    let unsigned = emu.mint(
        &MintRequest::user(DEMO_USER)
            .key(KeyChoice::Unsigned)
            .alg("none"),
    );
    assert!(unsigned.ends_with('.'));

    // Errors for keys that do not exist.
    assert!(emu
        .try_mint(&MintRequest::user(DEMO_USER).key(KeyChoice::Previous))
        .is_err());
    assert!(emu
        .try_mint(&MintRequest::user(DEMO_USER).tenant("11111111-2222-4333-8444-555555555555"))
        .is_err());
    emu.shutdown_async().await;
}

#[tokio::test]
async fn rotation_keeps_or_drops_the_old_key() {
    let emu = common::start_demo().await;
    let old = emu.current_kid(DEMO_TENANT_ID).expect("kid");
    let new = emu.rotate_keys(DEMO_TENANT_ID, true).expect("rotate");
    assert_ne!(old, new);
    assert_eq!(emu.current_kid(DEMO_TENANT_ID), Some(new.clone()));
    let (_, keys) = get_json(&emu.jwks_url(DEMO_TENANT_ID, TokenVersion::V1)).await;
    assert_eq!(kids(&keys), vec![new.clone(), old.clone()], "newest first");
    let prev = emu.mint(&MintRequest::user(DEMO_USER).key(KeyChoice::Previous));
    assert_eq!(segment(&prev, 0)["kid"], Value::from(old.clone()));

    let newest = emu.rotate_keys(DEMO_TENANT_ID, false).expect("rotate");
    let (_, keys) = get_json(&emu.jwks_url(DEMO_TENANT_ID, TokenVersion::V2)).await;
    let k = kids(&keys);
    assert!(k.contains(&newest));
    assert!(!k.contains(&new) && !k.contains(&old));
    assert!(emu
        .rotate_keys("11111111-2222-4333-8444-555555555555", true)
        .is_err());
    emu.shutdown_async().await;
}

#[tokio::test]
async fn issuers_are_configurable() {
    let cfg = EmulatorConfig::default().loopback_issuers();
    let emu = Emulator::start(cfg).await.expect("start");
    let b = emu.base_url().to_owned();
    let (_, doc) = get_json(&emu.discovery_url(DEMO_TENANT_ID, TokenVersion::V1)).await;
    assert_eq!(doc["issuer"], Value::from(format!("{b}/{DEMO_TENANT_ID}/")));
    let (_, keys) = get_json(&emu.jwks_url(DEMO_TENANT_ID, TokenVersion::V2)).await;
    assert_eq!(
        keys["keys"][0]["issuer"],
        Value::from(format!("{b}/{{tenantid}}/v2.0"))
    );
    let t = emu.mint(&MintRequest::user(DEMO_USER).v2());
    assert_eq!(
        segment(&t, 1)["iss"],
        Value::from(format!("{b}/{DEMO_TENANT_ID}/v2.0"))
    );
    emu.shutdown_async().await;

    let tid = "11111111-2222-4333-8444-555555555555";
    let cfg = EmulatorConfig::empty()
        .tenant(TenantConfig::new(tid))
        .issuers(IssuerConfig::hosts(
            "sts.chinacloudapi.cn",
            "login.chinacloudapi.cn",
        ));
    let emu = Emulator::start(cfg).await.expect("start");
    let (_, doc) = get_json(&emu.discovery_url(tid, TokenVersion::V2)).await;
    assert_eq!(
        doc["issuer"],
        Value::from(format!("https://login.chinacloudapi.cn/{tid}/v2.0"))
    );
    let t = emu.mint(&MintRequest::user("bob@fabrikam.example"));
    assert_eq!(
        segment(&t, 1)["iss"],
        Value::from(format!("https://sts.chinacloudapi.cn/{tid}/"))
    );
    emu.shutdown_async().await;
}

#[test]
fn blocking_start_serves_and_shuts_down() {
    use std::io::{Read, Write};
    let emu = Emulator::start_blocking(EmulatorConfig::default()).expect("start");
    let addr = emu.base_url().trim_start_matches("http://").to_owned();
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        s,
        "GET /{DEMO_TENANT_ID}/discovery/keys HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"keys\""));
    assert_eq!(
        emu.request_count(&format!("/{DEMO_TENANT_ID}/discovery/keys")),
        1
    );
    emu.shutdown();
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "port closed after shutdown"
    );
}

#[test]
fn bad_configurations_are_refused() {
    let cfg = EmulatorConfig::empty().tenant(TenantConfig::new("contoso"));
    assert!(Emulator::start_blocking(cfg).is_err());
    assert!(EmulatorConfig::from_json("{\"tenants\": 3}").is_err());
}

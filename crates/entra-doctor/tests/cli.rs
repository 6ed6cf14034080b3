#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! End-to-end tests of the offline CLI: `decode`, `check` and `check
//! --batch`, every rule and every class of malformed input, through the
//! built binary.

use crate::cli_support;

use cli_support::*;
use serde_json::{json, Value};

// ---------------------------------------------------------------- input --

#[test]
fn a_valid_token_passes_every_check_and_exits_0() {
    let (code, v) = check_json(&sign(&user_claims()), &["--tenant", TENANT]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["complete"], true);
    assert_eq!(v["failed"], json!([]));
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(f["status"], "pass", "{f}");
    }
    let names: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "format",
            "signature",
            "audience",
            "issuer",
            "tenant",
            "lifetime",
            "identity"
        ]
    );
    assert_eq!(v["summary"]["version"], "v1");
    assert_eq!(v["summary"]["principal_type"], "user");
    assert_eq!(v["summary"]["resource"], "Azure Databricks");
}

#[test]
fn pasted_wrappings_are_accepted() {
    let t = sign(&user_claims());
    for pasted in [
        format!("  {t}\n"),
        format!("Bearer {t}"),
        format!("Authorization: Bearer {t}"),
        format!("\"{t}\""),
        json!({"accessToken": t, "expiresOn": "2026-01-01 01:00:00.000000", "tenant": TENANT, "tokenType": "Bearer"}).to_string(),
    ] {
        let (code, v) = check_json(&pasted, &[]);
        assert_eq!(code, 0, "{pasted:.40}: {v}");
    }
}

#[test]
fn token_from_stdin_and_from_a_file() {
    let t = sign(&user_claims());
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir);
    let out = cmd()
        .args(["check", "--at", &NOW.to_string(), "--jwks"])
        .arg(&jwks)
        .arg("-")
        .write_stdin(format!("Bearer {t}\n"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let file = dir.path().join("token.txt");
    std::fs::write(&file, &t).unwrap();
    let out = cmd()
        .args(["check", "--at", &NOW.to_string(), "--jwks"])
        .arg(&jwks)
        .arg(format!("@{}", file.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

fn format_failure(input: &str) -> (i32, Value) {
    let (code, v) = check_json(input, &[]);
    assert_eq!(code, 1, "{input:.60}: {v}");
    assert_eq!(v["valid"], false);
    assert_eq!(v["failed"], json!(["format"]));
    assert_eq!(status(&v, "format"), "fail");
    for name in [
        "signature",
        "audience",
        "issuer",
        "tenant",
        "lifetime",
        "identity",
    ] {
        assert_eq!(status(&v, name), "skip", "{name}");
    }
    assert!(v["summary"].is_null());
    (code, v)
}

fn format_message(input: &str) -> String {
    let (_, v) = format_failure(input);
    finding(&v, "format")["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn each_class_of_malformed_input_is_named() {
    let h = b64(br#"{"alg":"RS256","kid":"rsa1"}"#);
    let p = b64(br#"{"aud":"x"}"#);
    let cases: Vec<(String, &str)> = vec![
        ("a!b.c.d".into(), "header (part 1) is not base64url"),
        (
            format!("{h}.{}.c2ln", b64(b"not json")),
            "payload (part 2) is not JSON",
        ),
        (
            format!("{h}.{}.c2ln", b64(b"[1,2]")),
            "payload (part 2) is JSON but not a JSON object",
        ),
        (format!("{h}.{p}.c2ln.x.y"), "encrypted JWE"),
        (format!("{h}.{p}."), "signature (part 3) is empty"),
        (format!("{h}.{p}"), "has 2 dot-separated part(s)"),
        (format!("{h}.{p}.c2l="), "'=' padding"),
        (format!("{}.{p}.c2ln", b64(br#"{"typ":"JWT"}"#)), "no 'alg'"),
        (
            format!(
                "{h}.{}.c2ln",
                b64(format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100)).as_bytes())
            ),
            "deeper than",
        ),
        (
            // A break inside a line (a token wrapped over lines that are
            // each base64url is joined instead).
            format!("{} {}", &h[..10], &h[10..]) + &format!(".{p}.c2ln"),
            "whitespace",
        ),
        ("{\"foo\": 1}".into(), "no token field"),
    ];
    for (input, expected) in cases {
        let msg = format_message(&input);
        assert!(
            msg.contains(expected),
            "{input:.50}: {msg:?} lacks {expected:?}"
        );
    }
}

#[test]
fn an_oversized_token_is_refused_without_reading_it_all() {
    let huge = format!(
        "{}.{}.c2ln",
        b64(br#"{"alg":"RS256"}"#),
        "A".repeat(70 * 1024)
    );
    let msg = format_message(&huge);
    assert!(msg.contains("over the limit of 65536 bytes"), "{msg}");
    // Over the input bound (128 KiB): refused before parsing, exit 2.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big");
    std::fs::write(&f, "A".repeat(300 * 1024)).unwrap();
    let out = cmd()
        .args(["check"])
        .arg(format!("@{}", f.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("over the limit"));
}

#[test]
fn empty_input_is_an_error_not_a_pass() {
    let out = cmd()
        .args(["check", "-"])
        .write_stdin("   \n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("empty"));
}

// ------------------------------------------------------------ signature --

#[test]
fn signature_failures_say_why() {
    let c = user_claims();
    let header = |alg: &str, kid: &str| json!({"typ": "JWT", "alg": alg, "kid": kid});
    let mut tampered = sign(&c);
    let (si, sig) = tampered.rsplit_once('.').unwrap();
    let mut claims2 = c.clone();
    claims2["upn"] = json!("mallory@contoso.example");
    tampered = format!(
        "{}.{}.{sig}",
        si.split('.').next().unwrap(),
        b64(claims2.to_string().as_bytes())
    );
    let none = format!(
        "{}.{}.c2ln",
        b64(br#"{"alg":"none"}"#),
        b64(c.to_string().as_bytes())
    );
    let cases: Vec<(String, &str)> = vec![
        (tampered, "does not match the key"),
        (
            sign_with(&header("RS256", "rsa1"), &c, Signer::RsaOther),
            "does not match the key",
        ),
        (
            sign_with(&header("RS256", "nope"), &c, Signer::Rsa),
            "no key in the key set matches the token's kid \"nope\"",
        ),
        (none, "alg \"none\""),
        (
            sign_with(&header("HS256", "rsa1"), &c, Signer::Rsa),
            "HS256",
        ),
        (
            sign_with(&header("ES256", "ec1"), &c, Signer::Ec),
            "not allowed",
        ),
        (
            sign_with(&header("RS512", "rsa1"), &c, Signer::Rsa),
            "not allowed",
        ),
        (
            sign_with(
                &json!({"alg": "RS256", "kid": "rsa1", "nonce": "abc"}),
                &c,
                Signer::RsaOther,
            ),
            "Microsoft Graph",
        ),
    ];
    for (token, expected) in cases {
        let (code, v) = check_json(&token, &[]);
        assert_eq!(code, 1, "{v}");
        let f = finding(&v, "signature");
        assert_eq!(f["status"], "fail", "{f}");
        assert!(
            f["message"].as_str().unwrap().contains(expected),
            "{f} lacks {expected}"
        );
        assert!(f["fix"].is_string());
    }
}

#[test]
fn other_algorithms_pass_only_when_allowed_and_the_key_fits() {
    let c = user_claims();
    let es = sign_with(&json!({"alg": "ES256", "kid": "ec1"}), &c, Signer::Ec);
    assert_eq!(check_json(&es, &["--alg", "ES256"]).0, 0);
    let ed = sign_with(&json!({"alg": "EdDSA", "kid": "ed1"}), &c, Signer::Ed);
    assert_eq!(check_json(&ed, &["--alg", "EdDSA"]).0, 0);
    // Algorithm confusion: an ES256 header naming the RSA key.
    let confused = sign_with(&json!({"alg": "ES256", "kid": "rsa1"}), &c, Signer::Ec);
    let (code, v) = check_json(&confused, &["--alg", "ES256", "--alg", "RS256"]);
    assert_eq!(code, 1);
    assert!(
        finding(&v, "signature")["message"]
            .as_str()
            .unwrap()
            .contains("does not fit the key"),
        "{v}"
    );
}

#[test]
fn keys_offered_by_the_token_itself_are_never_used() {
    // The attacker signs with their own key and embeds it (jwk), points at
    // it (jku, x5u): the trusted set does not have it, so it fails.
    let k = cli_support::keys();
    let c = aws_lc_rs::signature::RsaPublicKeyComponents::<Vec<u8>>::from(
        aws_lc_rs::signature::KeyPair::public_key(&k.rsa_other),
    );
    let header = json!({"alg": "RS256", "kid": "attacker", "jku": "https://evil.example/keys", "x5u": "https://evil.example/c",
        "jwk": {"kty": "RSA", "n": b64(&c.n), "e": b64(&c.e)}});
    let t = sign_with(&header, &user_claims(), Signer::RsaOther);
    let (code, v) = check_json(&t, &[]);
    assert_eq!(code, 1);
    let msg = finding(&v, "signature")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(msg.contains("jku, x5u, jwk was ignored"), "{msg}");
}

#[test]
fn without_keys_the_verdict_is_incomplete_never_valid() {
    let out = cmd()
        .args(["check", "--json", "--at", &NOW.to_string()])
        .arg(sign(&user_claims()))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status(&v, "signature"), "skip");
    assert_eq!(v["complete"], false);
    assert_eq!(v["valid"], false);
    assert_eq!(v["claims_valid"], true);
    assert_eq!(out.status.code(), Some(2));
    // The text says how to get keys.
    let out = cmd()
        .args(["check", "--at", &NOW.to_string()])
        .arg(sign(&user_claims()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Not verified"), "{text}");
    assert!(text.contains("--jwks FILE"), "{text}");
    assert!(!text.contains("Valid:"), "{text}");
}

/// Signs nothing: the header says `alg` and the signature is empty or junk.
fn unsigned(alg: &str, claims: &Value) -> String {
    let h = b64(json!({"alg": alg, "typ": "JWT"}).to_string().as_bytes());
    let p = b64(claims.to_string().as_bytes());
    format!("{h}.{p}.{}", b64(b"junk-signature"))
}

#[test]
fn alg_none_and_hmac_fail_offline_without_keys() {
    for alg in ["none", "HS256", "HS512"] {
        for extra in [&["--offline"][..], &["--skip-signature"][..]] {
            let out = cmd()
                .args(["check", "--json", "--at", &NOW.to_string()])
                .args(extra)
                .arg(unsigned(alg, &user_claims()))
                .output()
                .unwrap();
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(out.status.code(), Some(1), "{alg} {extra:?}: {v}");
            assert_eq!(status(&v, "signature"), "fail", "{alg} {extra:?}");
            assert_eq!(v["valid"], false);
            assert_eq!(v["claims_valid"], false);
        }
    }
}

#[test]
fn skip_signature_checks_the_claims_alone_and_says_so() {
    let out = cmd()
        .args([
            "check",
            "--json",
            "--skip-signature",
            "--at",
            &NOW.to_string(),
        ])
        .arg(sign(&user_claims()))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{v}");
    assert_eq!(v["valid"], false);
    assert_eq!(v["claims_valid"], true);
    assert_eq!(status(&v, "signature"), "skip");
    let msg = finding(&v, "signature")["message"].as_str().unwrap();
    assert!(msg.contains("--skip-signature"), "{msg}");
    // A failing claim still fails.
    let mut c = user_claims();
    c["exp"] = json!(NOW - 4000);
    let out = cmd()
        .args(["check", "--skip-signature", "--at", &NOW.to_string()])
        .arg(sign(&c))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // It does not combine with keys.
    let dir = tempfile::tempdir().unwrap();
    let out = cmd()
        .args(["check", "--skip-signature", "--jwks"])
        .arg(jwks_file(&dir))
        .arg(sign(&user_claims()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn odd_tenants_fail_the_issuer_and_tenant_rules() {
    for t in ["x_y", "a b", "..x", "Contoso"] {
        for v2 in [false, true] {
            let mut c = user_claims();
            c["tid"] = json!(t);
            c["iss"] = json!(if v2 {
                format!("https://login.microsoftonline.com/{t}/v2.0")
            } else {
                format!("https://sts.windows.net/{t}/")
            });
            let (code, v) = check_json(&sign(&c), &[]);
            assert_eq!(code, 1, "{t}: {v}");
            assert_eq!(status(&v, "issuer"), "fail", "{t}: {v}");
            assert_eq!(status(&v, "tenant"), "fail", "{t}: {v}");
            assert_eq!(v["valid"], false);
            let msg = finding(&v, "tenant")["message"].as_str().unwrap();
            assert!(msg.contains("neither a tenant ID"), "{msg}");
        }
    }
    // A domain name is a tenant's name: not refused by shape.
    let mut c = user_claims();
    c["tid"] = json!("contoso.onmicrosoft.com");
    c["iss"] = json!("https://sts.windows.net/contoso.onmicrosoft.com/");
    let (_, v) = check_json(&sign(&c), &[]);
    assert_eq!(status(&v, "issuer"), "pass", "{v}");
}

#[test]
fn a_token_not_valid_yet_is_not_summarised_as_valid() {
    let mut c = user_claims();
    c["nbf"] = json!(NOW + 3600);
    c["iat"] = json!(NOW + 3600);
    c["exp"] = json!(NOW + 7200);
    let t = sign(&c);
    let (code, v) = check_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&v, "lifetime"), "fail");
    let validity = v["summary"]["validity"].as_str().unwrap();
    assert!(validity.starts_with("not valid yet"), "{validity}");
    assert!(!validity.starts_with("valid"), "{validity}");
    let dir = tempfile::tempdir().unwrap();
    let out = cmd()
        .args(["check", "--at", &NOW.to_string(), "--jwks"])
        .arg(jwks_file(&dir))
        .arg(&t)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not valid yet"), "{text}");
    assert!(!text.contains("valid, expires"), "{text}");
}

#[test]
fn pem_certificate_and_public_key_work_as_key_sets() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    for keyfile in ["jwks.json", "signing-cert.pem"] {
        let out = cmd()
            .args(["check", "--json", "--tenant", TENANT, "--jwks"])
            .arg(root.join(keyfile))
            .arg(format!("@{}", root.join("databricks-token.jwt").display()))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{keyfile}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

// -------------------------------------------------------------- audience --

#[test]
fn an_arm_token_fails_audience_with_the_way_to_ask() {
    let mut c = user_claims();
    c["aud"] = json!("https://management.core.windows.net/");
    let (code, v) = check_json(&sign(&c), &[]);
    assert_eq!(code, 1);
    let f = finding(&v, "audience");
    assert_eq!(f["status"], "fail");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("Azure Resource Manager"),
        "{f}"
    );
    assert!(f["fix"]
        .as_str()
        .unwrap()
        .contains("az account get-access-token --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"));
    assert_eq!(f["expected"], DATABRICKS);
    assert_eq!(v["failed"], json!(["audience"]));
    // Another API, chosen with --audience.
    assert_eq!(
        check_json(
            &sign(&c),
            &["--audience", "https://management.core.windows.net/"]
        )
        .0,
        0
    );
}

#[test]
fn graph_and_missing_audiences_fail() {
    let mut c = user_claims();
    c["aud"] = json!("00000003-0000-0000-c000-000000000000");
    let (_, v) = check_json(&sign(&c), &[]);
    assert!(finding(&v, "audience")["message"]
        .as_str()
        .unwrap()
        .contains("Microsoft Graph"));
    c.as_object_mut().unwrap().remove("aud");
    let (_, v) = check_json(&sign(&c), &[]);
    assert_eq!(status(&v, "audience"), "fail");
}

// ---------------------------------------------------------- issuer/tenant --

#[test]
fn issuer_shapes_and_agreement_with_tid() {
    let mut c = sp_claims();
    assert_eq!(check_json(&sign(&c), &["--tenant", TENANT]).0, 0);
    c["iss"] = json!("https://login.microsoftonline.us/8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f/v2.0");
    let (_, v) = check_json(&sign(&c), &[]);
    assert_eq!(status(&v, "issuer"), "pass");
    assert!(finding(&v, "issuer")["message"]
        .as_str()
        .unwrap()
        .contains("US Government"));
    c["iss"] = json!("https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0");
    let (_, v) = check_json(&sign(&c), &[]);
    assert!(
        finding(&v, "issuer")["message"]
            .as_str()
            .unwrap()
            .contains("must agree"),
        "{v}"
    );
    c["iss"] = json!("https://accounts.example.com");
    let (_, v) = check_json(&sign(&c), &[]);
    assert!(finding(&v, "issuer")["message"]
        .as_str()
        .unwrap()
        .contains("not an Entra ID issuer"));
    // --issuer for other providers.
    let (code, v) = check_json(&sign(&c), &["--issuer", "https://accounts.example.com"]);
    assert_eq!(status(&v, "issuer"), "pass");
    assert_eq!(code, 0);
}

#[test]
fn tenant_is_compared_when_given() {
    let t = sign(&user_claims());
    let (_, v) = check_json(&t, &[]);
    assert_eq!(status(&v, "tenant"), "skip");
    let other = "22222222-2222-2222-2222-222222222222";
    let (code, v) = check_json(&t, &["--tenant", other]);
    assert_eq!(code, 1);
    assert_eq!(status(&v, "tenant"), "fail");
    assert_eq!(status(&v, "issuer"), "fail");
    assert!(finding(&v, "tenant")["fix"]
        .as_str()
        .unwrap()
        .contains(&format!("az login --tenant {other}")));
}

// -------------------------------------------------------------- lifetime --

#[test]
fn lifetime_expired_within_skew_and_not_yet_valid() {
    let t = sign(&user_claims()); // valid NOW-600 .. NOW+3000
    let at = |secs: i64| (NOW + secs).to_string();
    let run = |when: &str, extra: &[&str]| {
        let mut args = vec!["--at", when];
        args.extend_from_slice(extra);
        let dir = tempfile::tempdir().unwrap();
        let jwks = jwks_file(&dir);
        let out = cmd()
            .args(["check", "--json", "--jwks"])
            .arg(&jwks)
            .args(&args)
            .arg(&t)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), v)
    };
    let (code, v) = run(&at(3000 + 3600), &[]);
    assert_eq!(code, 1);
    let f = finding(&v, "lifetime");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("expired 1 h ago"),
        "{f}"
    );
    let (code, v) = run(&at(3000 + 60), &[]);
    assert_eq!((code, status(&v, "lifetime")), (0, "warn".to_owned()));
    let (code, v) = run(&at(3000 + 60), &["--skew", "0"]);
    assert_eq!((code, status(&v, "lifetime")), (1, "fail".to_owned()));
    let (code, v) = run(&at(-600 - 3600), &[]);
    assert_eq!(code, 1);
    assert!(finding(&v, "lifetime")["message"]
        .as_str()
        .unwrap()
        .contains("not valid yet"));
    let (code, _) = run("2026-01-01T00:30:00Z", &[]);
    assert_eq!(code, 0);
}

#[test]
fn malformed_times_are_named() {
    let mut c = user_claims();
    c["exp"] = json!("1767229200");
    let (_, v) = check_json(&sign(&c), &[]);
    let f = finding(&v, "lifetime");
    assert_eq!(f["status"], "fail");
    assert!(f["message"].as_str().unwrap().contains("the string"), "{f}");
    c.as_object_mut().unwrap().remove("exp");
    let (_, v) = check_json(&sign(&c), &[]);
    assert!(finding(&v, "lifetime")["message"]
        .as_str()
        .unwrap()
        .contains("no 'exp'"));
}

// -------------------------------------------------------------- identity --

#[test]
fn identity_tells_users_from_service_principals() {
    let (_, v) = check_json(&sign(&user_claims()), &[]);
    assert!(finding(&v, "identity")["message"]
        .as_str()
        .unwrap()
        .contains("user token for ada@contoso.example"));
    let (_, v) = check_json(&sign(&sp_claims()), &[]);
    let m = finding(&v, "identity")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        m.contains("service-principal") && m.contains("6c1a9e4b-2f3d-4a5b-8c7d-9e0f1a2b3c4d"),
        "{m}"
    );
    assert_eq!(v["summary"]["principal_type"], "service_principal");
    let mut c = sp_claims();
    c.as_object_mut().unwrap().remove("azp");
    let (code, v) = check_json(&sign(&c), &[]);
    assert_eq!((code, status(&v, "identity")), (1, "fail".to_owned()));
}

// -------------------------------------------------------- arguments, exit --

#[test]
fn unusable_arguments_exit_2_with_a_clear_error() {
    let t = sign(&user_claims());
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"keys\": [{\"kty\": \"oct\", \"k\": \"c2VjcmV0\"}]}",
    )
    .unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--alg".into(), "HS256".into()],
            "unsupported algorithm",
        ),
        (
            vec!["--jwks".into(), "/nonexistent/keys.json".into()],
            "cannot read",
        ),
        (
            vec!["--jwks".into(), bad.display().to_string()],
            "no usable key",
        ),
        (vec!["--at".into(), "yesterday".into()], "--at"),
        (vec!["--skew=-5".into()], "--skew"),
    ];
    for (args, expected) in cases {
        let out = cmd().arg("check").args(&args).arg(&t).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let out = cmd().arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The sentence is made once: `check --json`'s `verdict` is the text
/// output's last line, for each of the three verdicts.
#[test]
fn json_verdict_is_the_text_verdict_line() {
    let mut wrong = user_claims();
    wrong["aud"] = json!("https://management.azure.com/");
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir);
    let jwks = jwks.to_str().unwrap();
    let cases: [(Value, &[&str], &str); 3] = [
        (
            user_claims(),
            &["--tenant", TENANT, "--jwks", jwks],
            "Valid: every check passed.",
        ),
        (
            wrong,
            &["--jwks", jwks],
            "Not valid: 1 check(s) failed: audience.",
        ),
        (user_claims(), &["--skip-signature"], "Not verified: "),
    ];
    for (claims, args, starts) in cases {
        let token = sign(&claims);
        let run = |json: bool| {
            let mut c = cmd();
            c.args(["check", "--at", &NOW.to_string()]).args(args);
            if json {
                c.arg("--json");
            }
            String::from_utf8(c.arg(&token).output().unwrap().stdout).unwrap()
        };
        let v: Value = serde_json::from_str(&run(true)).unwrap();
        let text = run(false);
        let last = text.lines().last().unwrap();
        assert_eq!(v["verdict"], last, "{text}");
        assert!(last.starts_with(starts), "{last}");
    }
}

#[test]
fn text_output_honours_no_color_and_names_the_verdict() {
    let mut c = user_claims();
    c["aud"] = json!("https://management.azure.com/");
    let out = cmd()
        .args(["check", "--at", &NOW.to_string()])
        .arg(sign(&c))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "colour despite NO_COLOR");
    assert!(text.contains("FAIL  audience"), "{text}");
    assert!(
        text.contains("Not valid: 1 check(s) failed: audience."),
        "{text}"
    );
    let forced = cmd()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["check", "--at", &NOW.to_string()])
        .arg(sign(&c))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&forced.stdout).contains('\u{1b}'),
        "no colour when forced"
    );
}

#[test]
fn the_whole_token_is_never_printed() {
    let t = sign(&user_claims());
    for args in [
        vec!["check"],
        vec!["check", "--json"],
        vec!["decode"],
        vec!["decode", "--json"],
    ] {
        let out = cmd().args(&args).arg(&t).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(&t), "{args:?} printed the token");
        assert!(
            !all.contains(t.rsplit('.').next().unwrap()),
            "{args:?} printed the signature"
        );
    }
}

// ---------------------------------------------------------------- decode --

#[test]
fn decode_explains_claims_and_shows_times() {
    let out = cmd()
        .args(["decode", "--at", &NOW.to_string()])
        .arg(sign(&user_claims()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("v1 access token · user ada@contoso.example"),
        "{text}"
    );
    assert!(text.contains("Azure Databricks"));
    assert!(text.contains("2026-01-01T00:50:00Z (in 50 min)"), "{text}");
    assert!(text.contains("2025-12-31T23:50:00Z (10 min ago)"), "{text}");
    assert!(text.contains("upn"));
    // Each claim is followed by its explanation.
    assert!(text.contains("Databricks looks"), "{text}");
}

#[test]
fn decode_json_has_header_payload_summary_and_explanations() {
    let out = cmd()
        .args(["decode", "--json", "--at", &NOW.to_string()])
        .arg(sign(&sp_claims()))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["header"]["alg"], "RS256");
    assert_eq!(v["payload"]["idtyp"], "app");
    assert_eq!(v["summary"]["version"], "v2");
    assert_eq!(v["summary"]["expires_in_secs"], 3000);
    let exp = v["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "exp")
        .unwrap();
    assert_eq!(exp["relative"], "in 50 min");
    assert!(exp["meaning"].as_str().unwrap().len() > 10);
    let azp = v["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "azp")
        .unwrap();
    assert!(azp["meaning"].is_string());
}

#[test]
fn decode_of_garbage_fails_with_the_reason() {
    let out = cmd().args(["decode", "hello.world"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 dot-separated part(s)"));
}

#[test]
fn real_microsoft_token_decodes_and_checks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/real-entra/23-v1-at-2024-3PaK4-apponly");
    let claims: Value =
        serde_json::from_slice(&std::fs::read(dir.join("claims.json")).unwrap()).unwrap();
    let at = claims["suggested_validation_time"].to_string();
    let out = cmd()
        .args([
            "check",
            "--json",
            "--at",
            &at,
            "--audience",
            claims["aud"].as_str().unwrap(),
            "--tenant",
            claims["tid"].as_str().unwrap(),
            "--jwks",
        ])
        .arg(dir.join("keys.json"))
        .arg(format!("@{}", dir.join("token.txt").display()))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["summary"]["principal_type"], "service_principal");
}

// ----------------------------------------------------------------- batch --

#[test]
fn batch_keeps_order_reports_each_line_and_summarises() {
    let good = sign(&user_claims());
    let mut arm = user_claims();
    arm["aud"] = json!("https://management.azure.com/");
    let arm = sign(&arm);
    let mut lines = Vec::new();
    for i in 0..1500 {
        lines.push(match i % 5 {
            0 => arm.clone(),
            1 => "garbage".to_owned(),
            2 => String::new(), // blank lines are skipped
            _ => good.clone(),
        });
    }
    lines.push("x".repeat(200 * 1024)); // a too-long line
    lines.push(good.clone());
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir);
    let out = cmd()
        .args([
            "check",
            "--batch",
            "-",
            "--threads",
            "3",
            "--at",
            &NOW.to_string(),
            "--tenant",
            TENANT,
            "--jwks",
        ])
        .arg(&jwks)
        .write_stdin(lines.join("\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let results: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 1500 - 300 + 2);
    let mut last = 0;
    for r in &results {
        let line = r["line"].as_u64().unwrap();
        assert!(line > last, "out of order");
        last = line;
        let expected_failed = match (line - 1) % 5 {
            _ if line == 1501 => json!(["format"]),
            _ if line == 1502 => json!([]),
            0 => json!(["audience"]),
            1 => json!(["format"]),
            _ => json!([]),
        };
        assert_eq!(r["failed"], expected_failed, "line {line}: {r}");
        assert_eq!(r["valid"], expected_failed == json!([]));
    }
    let too_long = results.iter().find(|r| r["line"] == 1501).unwrap();
    assert!(too_long["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("over the limit"));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("1202 token(s): 601 valid, 601 not valid"),
        "{err}"
    );
    assert!(err.contains("audience   failed 300"), "{err}");
    assert!(err.contains("format     failed 301"), "{err}");
}

#[test]
fn batch_refuses_the_workspace_flags() {
    // A batch sends no token to a workspace: refused, not ignored.
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir);
    for flags in [
        &["--workspace", "https://adb-1.2.azuredatabricks.net"][..],
        &["--profile", "dev"][..],
        &["--allow-any-workspace-host"][..],
    ] {
        let out = cmd()
            .args(["check", "--batch", "-", "--jwks"])
            .arg(&jwks)
            .args(flags)
            .write_stdin(sign(&user_claims()))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        assert!(out.stdout.is_empty(), "{flags:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flags[0]) && err.contains("--tenant"), "{err}");
    }
}

#[test]
fn batch_without_keys_counts_no_line_valid() {
    let mut none = user_claims();
    none["uti"] = json!("n");
    let lines = [
        sign(&user_claims()),
        unsigned("none", &none),
        sign(&user_claims()),
    ];
    for extra in [&[][..], &["--skip-signature"][..]] {
        let out = cmd()
            .args(["check", "--batch", "-", "--at", &NOW.to_string()])
            .args(extra)
            .write_stdin(lines.join("\n"))
            .output()
            .unwrap();
        let results: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(results.len(), 3);
        for r in &results {
            assert_eq!(r["valid"], false, "{r}");
        }
        assert_eq!(results[1]["failed"], json!(["signature"]));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("3 token(s): 0 valid, 3 not valid"), "{err}");
        assert!(
            err.contains("2 with no failed check but the signature not verified"),
            "{err}"
        );
        // The alg none line failed: 1 wins over incomplete.
        assert_eq!(out.status.code(), Some(1), "{err}");
        // Without it: incomplete.
        let out = cmd()
            .args(["check", "--batch", "-", "--at", &NOW.to_string()])
            .args(extra)
            .write_stdin(sign(&user_claims()))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
    }
}

#[test]
fn batch_of_only_valid_tokens_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir);
    let good: Vec<String> = (0..10)
        .map(|i| {
            let mut c = user_claims();
            c["uti"] = json!(format!("u{i}"));
            sign(&c)
        })
        .collect();
    let f = dir.path().join("t.txt");
    std::fs::write(&f, good.join("\n")).unwrap();
    let out = cmd()
        .args(["check", "--batch"])
        .arg(&f)
        .args(["--at", &NOW.to_string(), "--jwks"])
        .arg(&jwks)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 10);
}

#[test]
fn a_kid_whose_x5t_names_another_certificate_is_not_found() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let t = std::fs::read_to_string(root.join("databricks-token.jwt")).unwrap();
    let (h, rest) = t.trim().split_once('.').unwrap();
    let mut header: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, h).unwrap(),
    )
    .unwrap();
    header["x5t"] = json!("AAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let forged = format!("{}.{rest}", b64(header.to_string().as_bytes()));
    let out = cmd()
        .args(["check", "--json", "--jwks"])
        .arg(root.join("jwks.json"))
        .arg(&forged)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = finding(&v, "signature");
    assert!(f["message"].as_str().unwrap().contains("with x5t"), "{f}");
}

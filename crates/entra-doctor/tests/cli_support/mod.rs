//! Test support for the CLI tests: signing keys made per test run, tokens
//! with chosen claims, and a clean command.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use assert_cmd::Command;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

pub const TENANT: &str = "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f";
pub const DATABRICKS: &str = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
/// A fixed "now" for tests: 2026-01-01T00:00:00Z.
pub const NOW: i64 = 1_767_225_600;

pub fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

/// The test signing keys: RSA (kid "rsa1"), a second RSA key not in the
/// published set (kid "rsa1" too, to forge), P-256 and Ed25519.
pub struct Keys {
    pub rsa: RsaKeyPair,
    pub rsa_other: RsaKeyPair,
    pub ec: EcdsaKeyPair,
    pub ed: Ed25519KeyPair,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rng = SystemRandom::new();
        let ec_doc =
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .unwrap();
        let ed_doc = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        Keys {
            rsa: RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap(),
            rsa_other: RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap(),
            ec: EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                ec_doc.as_ref(),
            )
            .unwrap(),
            ed: Ed25519KeyPair::from_pkcs8(ed_doc.as_ref()).unwrap(),
        }
    })
}

fn rsa_jwk(k: &RsaKeyPair, kid: &str) -> Value {
    let c = RsaPublicKeyComponents::<Vec<u8>>::from(k.public_key());
    json!({"kty": "RSA", "use": "sig", "kid": kid, "n": b64(&c.n), "e": b64(&c.e)})
}

/// The published key set: RSA "rsa1", EC "ec1", OKP "ed1".
pub fn jwks() -> Value {
    let k = keys();
    let point = k.ec.public_key().as_ref();
    json!({"keys": [
        rsa_jwk(&k.rsa, "rsa1"),
        {"kty": "EC", "crv": "P-256", "kid": "ec1", "use": "sig", "x": b64(&point[1..33]), "y": b64(&point[33..65])},
        {"kty": "OKP", "crv": "Ed25519", "kid": "ed1", "use": "sig", "x": b64(k.ed.public_key().as_ref())},
    ]})
}

/// Writes the key set to a temp file.
pub fn jwks_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let p = dir.path().join("jwks.json");
    std::fs::write(&p, jwks().to_string()).unwrap();
    p
}

/// Claims of a valid v1 user token for Azure Databricks at [`NOW`].
pub fn user_claims() -> Value {
    json!({
        "aud": DATABRICKS, "iss": format!("https://sts.windows.net/{TENANT}/"), "iat": NOW - 600, "nbf": NOW - 600,
        "exp": NOW + 3000, "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "name": "Ada", "oid": "0b8e4c7a-1f2d-4e3b-9a5c-6d7e8f901234",
        "scp": "user_impersonation", "sub": "s", "tid": TENANT, "unique_name": "ada@contoso.example", "upn": "ada@contoso.example",
        "uti": "u", "ver": "1.0"
    })
}

/// Claims of a valid v2 service-principal token.
pub fn sp_claims() -> Value {
    json!({
        "aud": DATABRICKS, "iss": format!("https://login.microsoftonline.com/{TENANT}/v2.0"), "iat": NOW - 600,
        "nbf": NOW - 600, "exp": NOW + 3000, "azp": "6c1a9e4b-2f3d-4a5b-8c7d-9e0f1a2b3c4d", "azpacr": "1", "idtyp": "app",
        "oid": "5d4c3b2a-1908-4f7e-8d6c-5b4a39281706", "sub": "5d4c3b2a-1908-4f7e-8d6c-5b4a39281706", "tid": TENANT, "ver": "2.0"
    })
}

/// Which key signs.
#[derive(Clone, Copy)]
pub enum Signer {
    Rsa,
    RsaOther,
    Ec,
    Ed,
}

/// Signs `claims` with `header` (JSON) using `signer`; the header is taken
/// as given, so tests can lie about `alg`.
pub fn sign_with(header: &Value, claims: &Value, signer: Signer) -> String {
    let si = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let rng = SystemRandom::new();
    let k = keys();
    let sig = match signer {
        Signer::Rsa | Signer::RsaOther => {
            let kp = if matches!(signer, Signer::Rsa) {
                &k.rsa
            } else {
                &k.rsa_other
            };
            let mut sig = vec![0u8; kp.public_modulus_len()];
            kp.sign(&signature::RSA_PKCS1_SHA256, &rng, si.as_bytes(), &mut sig)
                .unwrap();
            sig
        }
        Signer::Ec => k.ec.sign(&rng, si.as_bytes()).unwrap().as_ref().to_vec(),
        Signer::Ed => k.ed.sign(si.as_bytes()).as_ref().to_vec(),
    };
    format!("{si}.{}", b64(&sig))
}

/// An RS256 token from the published RSA key.
pub fn sign(claims: &Value) -> String {
    sign_with(
        &json!({"typ": "JWT", "alg": "RS256", "kid": "rsa1"}),
        claims,
        Signer::Rsa,
    )
}

/// The binary with a clean environment.
pub fn cmd() -> Command {
    let mut c = Command::cargo_bin("entra-doctor").unwrap();
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1");
    // `check` goes online by default (discovery); these tests stay offline.
    c.env("ENTRA_DOCTOR_OFFLINE", "1");
    c
}

/// Runs `check --json` with the test key set at [`NOW`], returning exit code
/// and parsed JSON.
pub fn check_json(token: &str, extra: &[&str]) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let jwks = jwks_file(&dir);
    let mut c = cmd();
    c.args(["check", "--json", "--at", &NOW.to_string(), "--jwks"])
        .arg(&jwks)
        .args(extra)
        .arg(token);
    let out = c.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

/// The finding of `check` in a `check --json` result.
pub fn finding<'a>(v: &'a Value, check: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} in {v}"))
}

pub fn status(v: &Value, check: &str) -> String {
    finding(v, check)["status"].as_str().unwrap().to_owned()
}

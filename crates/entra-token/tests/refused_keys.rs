#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! A key the verifier refuses (RSA under 2048 or over 8192 bits, EC
//! coordinates off the curve) is reported as a refused key, with the reason
//! and a fix, never as "the signature does not match: altered after
//! signing". Keys inside the bounds still verify, and a wrong signature on
//! them still reads as a mismatch.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use entra_token::{check_text, Finding, KeySet, Policy, Status};
use serde_json::{json, Value};

const NOW: i64 = 1_767_225_600;
const TENANT: &str = "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f";

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn signing_input(alg: &str, kid: &str) -> String {
    let header = json!({"typ": "JWT", "alg": alg, "kid": kid});
    let claims = json!({
        "aud": "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d", "iss": format!("https://sts.windows.net/{TENANT}/"),
        "iat": NOW - 600, "nbf": NOW - 600, "exp": NOW + 3000, "tid": TENANT, "ver": "1.0",
        "oid": "0b8e4c7a-1f2d-4e3b-9a5c-6d7e8f901234", "sub": "s", "scp": "user_impersonation",
        "upn": "ada@contoso.example", "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
    });
    format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

fn signature_of(token: &str, jwk: &Value) -> Finding {
    let keys = KeySet::from_json(json!({"keys": [jwk]}).to_string().as_bytes()).unwrap();
    let mut policy = Policy::databricks(NOW);
    policy.algorithms = vec![entra_token::Algorithm::RS256, entra_token::Algorithm::ES256];
    let (_, report) = check_text(token, Some(&keys), &policy);
    report
        .findings
        .into_iter()
        .find(|f| f.check == "signature")
        .unwrap()
}

fn rsa_2048() -> (RsaKeyPair, Vec<u8>, Vec<u8>) {
    let k = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let c = RsaPublicKeyComponents::<Vec<u8>>::from(k.public_key());
    (k, c.n, c.e)
}

fn rs256(k: &RsaKeyPair, si: &str) -> String {
    let mut sig = vec![0u8; k.public_modulus_len()];
    k.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        si.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{si}.{}", b64(&sig))
}

/// An odd modulus of exactly `bits` bits (the verifier must refuse it for
/// its size alone, whatever the signature).
fn modulus(bits: usize, seed: &[u8]) -> Vec<u8> {
    let mut n: Vec<u8> = seed.iter().copied().cycle().take(bits / 8).collect();
    n[0] |= 0x80;
    *n.last_mut().unwrap() |= 1;
    n
}

fn assert_refused(f: &Finding, why: &str) {
    assert_eq!(f.status, Status::Fail, "{f:?}");
    assert!(f.message.contains("is refused"), "{}", f.message);
    assert!(f.message.contains(why), "{}", f.message);
    assert!(!f.message.contains("does not match"), "{}", f.message);
    assert!(!f.message.contains("altered"), "{}", f.message);
    assert!(
        f.fix
            .as_deref()
            .is_some_and(|x| !x.contains("Copy the token again")),
        "{f:?}"
    );
}

#[test]
fn an_rsa_key_under_2048_bits_is_reported_as_refused_not_as_a_bad_signature() {
    let (_, n, e) = rsa_2048();
    let n = modulus(1024, &n);
    let si = signing_input("RS256", "small");
    let token = format!("{si}.{}", b64(&[0x5a; 128]));
    let jwk = json!({"kty": "RSA", "kid": "small", "n": b64(&n), "e": b64(&e)});
    let f = signature_of(&token, &jwk);
    assert_refused(&f, "RSA 1024-bit key, under the minimum of 2048 bits");
    assert!(f.message.contains("kid \"small\""), "{}", f.message);
}

#[test]
fn an_rsa_key_over_8192_bits_is_reported_as_refused_not_as_a_bad_signature() {
    let (_, n, e) = rsa_2048();
    let n = modulus(16384, &n);
    let si = signing_input("RS256", "huge");
    let token = format!("{si}.{}", b64(&[0x5a; 2048]));
    let jwk = json!({"kty": "RSA", "kid": "huge", "n": b64(&n), "e": b64(&e)});
    let f = signature_of(&token, &jwk);
    assert_refused(&f, "RSA 16384-bit key, over the bound of 8192 bits");
}

#[test]
fn an_ec_point_off_the_curve_is_reported_as_refused_not_as_a_bad_signature() {
    let rng = SystemRandom::new();
    let doc =
        EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let k = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref())
        .unwrap();
    let point = k.public_key().as_ref();
    let (x, y) = (&point[1..33], &point[33..65]);
    let si = signing_input("ES256", "ec");
    let token = format!(
        "{si}.{}",
        b64(k.sign(&rng, si.as_bytes()).unwrap().as_ref())
    );
    // The real point verifies.
    let good = json!({"kty": "EC", "crv": "P-256", "kid": "ec", "x": b64(x), "y": b64(y)});
    assert_eq!(signature_of(&token, &good).status, Status::Pass);
    // y changed in its last bit: (x, y') is not on P-256.
    let mut y2 = y.to_vec();
    y2[31] ^= 1;
    let bad = json!({"kty": "EC", "crv": "P-256", "kid": "ec", "x": b64(x), "y": b64(&y2)});
    let f = signature_of(&token, &bad);
    assert_refused(&f, "not a point on the EC P-256 curve");
}

#[test]
fn a_2048_bit_key_still_verifies_and_a_wrong_signature_still_reads_as_a_mismatch() {
    let (k, n, e) = rsa_2048();
    let si = signing_input("RS256", "ok");
    let token = rs256(&k, &si);
    let jwk = json!({"kty": "RSA", "kid": "ok", "n": b64(&n), "e": b64(&e)});
    assert_eq!(signature_of(&token, &jwk).status, Status::Pass);
    let forged = format!("{si}.{}", b64(&[0x5a; 256]));
    let f = signature_of(&forged, &jwk);
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("does not match"), "{}", f.message);
}

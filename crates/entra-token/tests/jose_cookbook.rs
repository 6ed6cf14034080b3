#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! RFC 7520 ("JOSE Cookbook"), RFC 8037 (Ed25519) and RFC 7515/7517 appendix
//! examples (../shared/testdata/jose-cookbook) through the engine.
//!
//! - Supported algorithms (RS256, PS256, PS384, ES256, EdDSA) verify with the
//!   public part of the example key, and fail once one payload byte changes.
//! - ES512 (P-521) is not supported: those examples are skipped, and checked
//!   not to be accepted.
//! - HMAC examples must fail: the engine refuses `oct` keys and never
//!   accepts HS* headers.
//! - Keys with private members are refused; the tests strip `d`, `p`, `q`,
//!   `dp`, `dq`, `qi` first.
//!
//! Most RFC 7520 payloads are text ("It's a dangerous business, Frodo..."),
//! not JWT claims: `Token::parse` refuses them by design (the engine verifies
//! JWTs). Those are verified with `common::verify_compact_signature`, built
//! from the engine's own header, key selection and `verify_signature`;
//! examples with a JSON payload (RFC 7520 §6, RFC 7515 A.x) go through
//! `Token::parse` + `verify_token`.

use crate::common;

use std::path::Path;

use common::{
    b64u, b64u_decode, is_non_jwt_payload, keyset, read_json, read_text, strip_private,
    tamper_compact, testdata, verify_compact_signature,
};
use entra_token::alg::HeaderAlg;
use entra_token::verify::{verify_signature, SignatureFailure, SignatureOutcome};
use entra_token::{verify_token, Algorithm, FormatError, KeyError, KeySet, Token};
use serde_json::Value;

fn cookbook(sub: &str) -> std::path::PathBuf {
    testdata("jose-cookbook").join(sub)
}

/// One signature of an example: its algorithm, key, compact form (when the
/// example has a protected header to make one), and the bytes it signs.
struct Signature {
    name: String,
    alg: String,
    key: Value,
    compact: Option<String>,
    sig_input: String,
    sig: String,
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

/// The signatures of an RFC 7520-style example file (`{input, signing, output}`).
fn signatures(path: &Path, root: &str) -> Vec<Signature> {
    let doc = read_json(path);
    let ex = if root.is_empty() { &doc } else { &doc[root] };
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let payload_b64 = str_at(ex, "/output/json/payload")
        .or_else(|| str_at(ex, "/output/json_flat/payload"))
        .map_or_else(
            || b64u(str_at(ex, "/input/payload").unwrap_or("").as_bytes()),
            str::to_owned,
        );
    let signings: Vec<&Value> = match &ex["signing"] {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let keys: Vec<&Value> = match &ex["input"]["key"] {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    assert_eq!(signings.len(), keys.len(), "{file}: one key per signature");
    let single_compact = str_at(ex, "/output/compact").map(str::to_owned);
    signings
        .iter()
        .zip(keys)
        .enumerate()
        .map(|(i, (s, key))| {
            let alg = str_at(s, "/protected/alg")
                .or_else(|| str_at(s, "/unprotected/alg"))
                .expect("alg")
                .to_owned();
            let sig = str_at(s, "/sig").expect("sig").to_owned();
            // A compact serialisation exists only with a protected header
            // (RFC 7515 §7.1). Multi-signature examples give JSON only; each
            // signature with a protected header is also a compact JWS.
            let compact = match (&single_compact, str_at(s, "/protected_b64u")) {
                (Some(c), _) if signings.len() == 1 => Some(c.clone()),
                (_, Some(h)) => Some(format!("{h}.{payload_b64}.{sig}")),
                _ => None,
            };
            Signature {
                name: if signings.len() == 1 {
                    file.clone()
                } else {
                    format!("{file}[{i}]")
                },
                alg,
                key: key.clone(),
                compact,
                sig_input: str_at(s, "/sig-input").expect("sig-input").to_owned(),
                sig,
            }
        })
        .collect()
}

fn has_private(jwk: &Value) -> bool {
    common::PRIVATE_MEMBERS.iter().any(|m| jwk.get(m).is_some()) || jwk.get("k").is_some()
}

/// Asserts the engine accepts the example and rejects it with one payload
/// byte changed. Returns whether `verify_token` (not the signature-level
/// helper) was the path.
fn assert_verifies(name: &str, alg: Algorithm, compact: &str, keys: &KeySet) -> bool {
    let tampered = tamper_compact(compact);
    assert_ne!(tampered, compact);
    match Token::parse(compact) {
        Ok(token) => {
            let outcome = verify_token(&token, keys, &[alg]);
            assert!(
                matches!(outcome, SignatureOutcome::Verified { alg: a, .. } if a == alg),
                "{name}: {outcome:?}"
            );
            let bad = Token::parse(&tampered)
                .unwrap_or_else(|e| panic!("{name}: tampered token must still parse: {e}"));
            let outcome = verify_token(&bad, keys, &[alg]);
            // With several candidate keys (a token without `kid`), the engine
            // reports the failure of the *last* key it tried: with the A.6 set
            // (RSA, then EC) a bad RS256 signature is reported as a key-type
            // mismatch with the EC key rather than as "invalid" with the RSA
            // key. Still a failure; only the diagnosis differs.
            let reason_ok = match &outcome {
                SignatureOutcome::Failed(SignatureFailure::Invalid { .. }) => true,
                SignatureOutcome::Failed(SignatureFailure::AlgKeyMismatch { .. }) => {
                    keys.keys().len() > 1
                }
                _ => false,
            };
            assert!(reason_ok, "{name}: tampered payload: {outcome:?}");
            true
        }
        Err(e) => {
            assert!(
                is_non_jwt_payload(&e),
                "{name}: Token::parse refused it for another reason: {e}"
            );
            assert_eq!(
                verify_compact_signature(compact, keys, &[alg]),
                Ok(alg),
                "{name}"
            );
            let err = verify_compact_signature(&tampered, keys, &[alg])
                .expect_err("tampered payload verified");
            assert!(
                err.contains("BadSignature"),
                "{name}: tampered payload: {err}"
            );
            false
        }
    }
}

/// Asserts the engine does not accept an example, by any path, with any of
/// the given key sets.
fn assert_not_accepted(name: &str, compact: Option<&str>, key_sets: &[&KeySet]) {
    let Some(compact) = compact else { return };
    for keys in key_sets {
        if let Ok(token) = Token::parse(compact) {
            let outcome = verify_token(&token, keys, &Algorithm::ALL);
            assert!(!outcome.is_verified(), "{name}: {outcome:?}");
        }
        assert!(
            verify_compact_signature(compact, keys, &Algorithm::ALL).is_err(),
            "{name}"
        );
    }
}

/// The RFC 7520 public RSA key (bilbo.baggins), used as the "wrong" key set
/// offered to HMAC examples.
fn bilbo_rsa() -> KeySet {
    keyset(&read_json(&cookbook("jwk/3_3.rsa_public_key.json")))
        .expect("RFC 7520 §3.3 RSA public key")
}

#[test]
fn rfc7520_and_rfc8037_signature_examples() {
    let mut files: Vec<(std::path::PathBuf, &str)> = std::fs::read_dir(cookbook("jws"))
        .expect("jws dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (p, ""))
        .collect();
    files.sort();
    files.push((cookbook("curve25519/jws.json"), ""));
    files.push((cookbook("6.nesting_signatures_and_encryption.json"), "sign"));

    let rsa = bilbo_rsa();
    let (mut verified, mut via_token, mut skipped_es512, mut hmac_failed) = (0, 0, 0, 0);
    for (path, root) in &files {
        for s in signatures(path, root) {
            let name = &s.name;
            if let Some(c) = &s.compact {
                let (input, sig) = c.rsplit_once('.').expect("compact");
                // Detached content (RFC 7520 §4.5) leaves the payload out of
                // the compact form; the signing input still has it.
                if !c.contains("..") {
                    assert_eq!(
                        input, s.sig_input,
                        "{name}: compact and signing input differ"
                    );
                }
                assert_eq!(sig, s.sig, "{name}");
            }
            match s.alg.parse::<Algorithm>() {
                Ok(alg) => {
                    // The example key holds private members: refused as is.
                    assert!(
                        has_private(&s.key),
                        "{name}: example keys include the private part"
                    );
                    let err =
                        keyset(&s.key).expect_err("a JWK with private members must be refused");
                    assert!(err.to_string().contains("private"), "{name}: {err}");
                    let keys = keyset(&strip_private(&s.key))
                        .unwrap_or_else(|e| panic!("{name}: public key: {e}"));
                    assert_eq!(keys.keys().len(), 1);
                    let raw_sig = b64u_decode(&s.sig);
                    assert_eq!(
                        verify_signature(alg, &keys.keys()[0], s.sig_input.as_bytes(), &raw_sig),
                        Ok(()),
                        "{name}"
                    );
                    let compact = s
                        .compact
                        .as_deref()
                        .unwrap_or_else(|| panic!("{name}: no compact form"));
                    if assert_verifies(name, alg, compact, &keys) {
                        via_token += 1;
                    }
                    verified += 1;
                    println!("{name}: {alg} verified; tampered payload rejected");
                }
                Err(_) if s.alg == "ES512" => {
                    // P-521 is not supported: neither the key nor the algorithm.
                    let err = keyset(&strip_private(&s.key)).expect_err("P-521 key refused");
                    assert!(err.to_string().contains("P-521"), "{name}: {err}");
                    assert_not_accepted(name, s.compact.as_deref(), &[&rsa]);
                    skipped_es512 += 1;
                    println!("{name}: ES512 (P-521) not supported: skipped");
                }
                Err(_) => {
                    assert!(s.alg.starts_with("HS"), "{name}: unexpected alg {}", s.alg);
                    assert_eq!(HeaderAlg::classify(&s.alg), HeaderAlg::Hmac(s.alg.clone()));
                    // The shared secret is refused as a key...
                    let err = keyset(&s.key).expect_err("an oct key must be refused");
                    assert!(matches!(err, KeyError::NoUsableKey(_)), "{name}: {err}");
                    // ...and the token fails whatever public key is offered.
                    assert_not_accepted(name, s.compact.as_deref(), &[&rsa]);
                    hmac_failed += 1;
                    println!("{name}: {} must fail: failed", s.alg);
                }
            }
        }
    }
    println!(
        "RFC 7520/8037: {verified} verified ({via_token} via verify_token), {skipped_es512} ES512 skipped, {hmac_failed} HMAC failed"
    );
    // 4.1 RS256, 4.2 PS384, 4.8[0] RS256, RFC 8037 EdDSA, §6 PS256.
    assert_eq!(verified, 5);
    // §6's payload is a JWT; the others sign text.
    assert_eq!(via_token, 1);
    // 4.3 and 4.8[1].
    assert_eq!(skipped_es512, 2);
    // 4.4, 4.5, 4.6, 4.7, 4.8[2].
    assert_eq!(hmac_failed, 5);
}

/// The HMAC examples that have a JWT payload reach `verify_token`, which
/// names the reason: HMAC is never accepted.
#[test]
fn hmac_with_a_jwt_payload_fails_by_name() {
    let compact = read_text(&cookbook("rfc7515-rfc7517/rfc7515_A.1.jwsc"));
    let token = Token::parse(compact.trim()).expect("A.1 parses: its payload is a JWT");
    for keys in [&bilbo_rsa(), &rfc7515_public("rfc7515_A.3.jwk")] {
        assert_eq!(
            verify_token(&token, keys, &Algorithm::ALL),
            SignatureOutcome::Failed(SignatureFailure::AlgHmac("HS256".into()))
        );
    }
    // The A.1 key itself, a shared secret, is not a key the engine will hold.
    let oct = read_json(&cookbook("rfc7515-rfc7517/rfc7515_A.1.jwk"));
    assert_eq!(oct["kty"], "oct");
    assert!(keyset(&oct).is_err());
}

fn rfc7515_public(file: &str) -> KeySet {
    let jwk = read_json(&cookbook("rfc7515-rfc7517").join(file));
    keyset(&strip_private(&jwk)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn rfc7515_token(file: &str) -> String {
    read_text(&cookbook("rfc7515-rfc7517").join(file))
        .trim()
        .to_owned()
}

#[test]
fn rfc7515_a2_rs256_and_a3_es256() {
    for (jwk, jws, alg) in [
        ("rfc7515_A.2.jwk", "rfc7515_A.2.jwsc", Algorithm::RS256),
        ("rfc7515_A.3.jwk", "rfc7515_A.3.jwsc", Algorithm::ES256),
    ] {
        let full = read_json(&cookbook("rfc7515-rfc7517").join(jwk));
        assert!(has_private(&full));
        assert!(
            keyset(&full).is_err(),
            "{jwk}: refused with its private members"
        );
        let keys = rfc7515_public(jwk);
        let compact = rfc7515_token(jws);
        assert!(
            assert_verifies(jws, alg, &compact, &keys),
            "{jws}: a JWT payload, verified by verify_token"
        );
        let token = Token::parse(&compact).expect("parses");
        if alg == Algorithm::ES256 {
            assert_eq!(
                token.signature().len(),
                64,
                "JWS ECDSA signatures are r||s (P1363)"
            );
        }
        // The policy pins the algorithm: the right signature under a policy
        // that does not allow its algorithm fails.
        let other = if alg == Algorithm::RS256 {
            Algorithm::PS256
        } else {
            Algorithm::ES384
        };
        assert!(matches!(
            verify_token(&token, &keys, &[other]),
            SignatureOutcome::Failed(SignatureFailure::AlgNotAllowed { .. })
        ));
    }
    // A.2's token against A.3's key: wrong key type, named.
    let token = Token::parse(&rfc7515_token("rfc7515_A.2.jwsc")).expect("parses");
    assert!(matches!(
        verify_token(&token, &rfc7515_public("rfc7515_A.3.jwk"), &Algorithm::ALL),
        SignatureOutcome::Failed(SignatureFailure::AlgKeyMismatch {
            alg: Algorithm::RS256,
            ..
        })
    ));
}

/// RFC 7515 A.4 is ES512 over P-521: not supported, skipped, never accepted.
#[test]
fn rfc7515_a4_es512_is_unsupported() {
    assert!("ES512".parse::<Algorithm>().is_err());
    let jwk = strip_private(&read_json(&cookbook("rfc7515-rfc7517/rfc7515_A.4.jwk")));
    let err = keyset(&jwk).expect_err("P-521 key refused");
    assert!(err.to_string().contains("P-521"), "{err}");
    let compact = rfc7515_token("rfc7515_A.4.jwsc");
    match Token::parse(&compact) {
        Ok(token) => assert!(!verify_token(&token, &bilbo_rsa(), &Algorithm::ALL).is_verified()),
        Err(e) => assert!(is_non_jwt_payload(&e), "{e}"), // its payload is the text "Payload"
    }
    let err = verify_compact_signature(&compact, &bilbo_rsa(), &Algorithm::ALL)
        .expect_err("ES512 refused");
    assert!(err.contains("ES512"), "{err}");
    println!("RFC 7515 A.4 ES512: skipped (P-521 unsupported)");
}

/// RFC 7515 A.5, an unsecured JWS (`alg: none`, empty signature), is refused
/// at parse time.
#[test]
fn rfc7515_a5_unsecured_is_refused() {
    assert_eq!(
        Token::parse(&rfc7515_token("rfc7515_A.5.jwsc")).unwrap_err(),
        FormatError::EmptySignature
    );
}

/// RFC 7515 A.6 (general JSON, RS256 + ES256) and A.7 (flattened JSON,
/// ES256): each signature with its protected header and the payload is a
/// compact JWS, verified with the A.6 key set (private parts stripped).
#[test]
fn rfc7515_a6_a7_json_serialisations_as_compact() {
    let keys = keyset(&strip_private(&read_json(&cookbook(
        "rfc7515-rfc7517/rfc7515_A.6.jwkset",
    ))))
    .expect("A.6 keys");
    assert_eq!(keys.keys().len(), 2);
    let general = read_json(&cookbook("rfc7515-rfc7517/rfc7515_A.6.jwsg"));
    let flat = read_json(&cookbook("rfc7515-rfc7517/rfc7515_A.7.jwsf"));
    let mut entries: Vec<(String, &Value)> = general["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("A.6[{i}]"), s))
        .collect();
    entries.push(("A.7".into(), &flat));
    for (name, entry) in entries {
        let payload = if name == "A.7" {
            &flat["payload"]
        } else {
            &general["payload"]
        };
        let compact = format!(
            "{}.{}.{}",
            entry["protected"].as_str().expect("protected"),
            payload.as_str().expect("payload"),
            entry["signature"].as_str().expect("signature")
        );
        let token = Token::parse(&compact).expect("parses");
        let alg = match token.header().alg() {
            Ok(HeaderAlg::Supported(a)) => a,
            other => panic!("{name}: {other:?}"),
        };
        assert!(assert_verifies(&name, alg, &compact, &keys), "{name}");
    }
    // A.7's signature is A.3's: its key alone verifies it too.
    let a7 = format!(
        "{}.{}.{}",
        flat["protected"].as_str().expect("protected"),
        flat["payload"].as_str().expect("payload"),
        flat["signature"].as_str().expect("signature")
    );
    assert_eq!(a7, rfc7515_token("rfc7515_A.3.jwsc"));
}

/// RFC 7517 appendix key sets: public keys are read (an encryption key is set
/// aside); private and symmetric sets are refused.
#[test]
fn rfc7517_key_sets() {
    let dir = cookbook("rfc7515-rfc7517");
    let public = KeySet::parse(read_text(&dir.join("rfc7517_A.1.jwkset")).as_bytes())
        .expect("A.1 public keys");
    assert_eq!(public.keys().len(), 1, "the EC key has use \"enc\"");
    assert_eq!(public.keys()[0].kid.as_deref(), Some("2011-04-29"));
    assert_eq!(public.problems().len(), 1);
    assert!(
        public.problems()[0].reason.contains("enc"),
        "{}",
        public.problems()[0].reason
    );

    for f in ["rfc7517_A.2.jwkset", "rfc7517_A.3.jwkset"] {
        let err = KeySet::parse(read_text(&dir.join(f)).as_bytes())
            .expect_err("private / secret keys refused");
        assert!(matches!(err, KeyError::NoUsableKey(_)), "{f}: {err}");
    }
    // The A.2 set with its private members removed is the A.1 set.
    let stripped =
        keyset(&strip_private(&read_json(&dir.join("rfc7517_A.2.jwkset")))).expect("stripped A.2");
    assert_eq!(stripped.keys().len(), 1);
    assert_eq!(stripped.keys()[0].material, public.keys()[0].material);

    // Appendix B: an RSA key with its x5c certificate, which must hold the
    // same key as n/e.
    let b = KeySet::parse(read_text(&dir.join("rfc7517_B.jwk")).as_bytes()).expect("B key");
    assert_eq!(b.keys()[0].kid.as_deref(), Some("1b94c"));
    assert!(b.keys()[0].cert.is_some(), "x5c read");
}

/// The engine refuses a JWK that carries private members (here `d`), even
/// when its public members are fine, and says why.
#[test]
fn jwk_with_private_material_is_refused() {
    let jwk = read_json(&cookbook("jwk/3_4.rsa_private_key.json"));
    let err = keyset(&jwk).expect_err("RSA private JWK refused");
    assert!(err.to_string().contains("private"), "{err}");

    // `d` alone is enough.
    let mut only_d = strip_private(&jwk);
    assert!(keyset(&only_d).is_ok(), "the public part is usable");
    only_d["d"] = jwk["d"].clone();
    assert!(keyset(&only_d).is_err(), "'d' alone makes it refused");

    // EC (P-521 here, so also unsupported) and the RFC 8037 Ed25519 key.
    assert!(keyset(&read_json(&cookbook("jwk/3_2.ec_private_key.json"))).is_err());
    let ed = read_json(&cookbook("curve25519/jws.json"))["input"]["key"].clone();
    assert!(ed.get("d").is_some());
    assert!(keyset(&ed)
        .expect_err("Ed25519 private JWK refused")
        .to_string()
        .contains("private"));
    assert!(keyset(&strip_private(&ed)).is_ok());

    // Symmetric keys, for MAC or encryption.
    for f in [
        "jwk/3_5.symmetric_key_mac_computation.json",
        "jwk/3_6.symmetric_key_encryption.json",
    ] {
        assert!(keyset(&read_json(&cookbook(f))).is_err(), "{f}");
    }
    // The public RSA key of §3.3 is the private key of §3.4 minus its secrets.
    let public = keyset(&read_json(&cookbook("jwk/3_3.rsa_public_key.json"))).expect("§3.3");
    let stripped = keyset(&strip_private(&jwk)).expect("§3.4 stripped");
    assert_eq!(public.keys()[0].material, stripped.keys()[0].material);
}

/// RFC 7797 `b64: false` examples: unencoded payloads and `crit`. The engine
/// refuses them (a bare payload with spaces is not a compact JWS part, and
/// `crit` is not understood); they are HMAC anyway.
#[test]
fn rfc7797_unencoded_payload_is_refused() {
    let mut seen = 0;
    for f in [
        "rfc7797/hmac-sha2_b64_false.json",
        "rfc7797/4.2.hmac-sha2_b64_false.json",
    ] {
        let doc = read_json(&cookbook(f));
        if let Some(compact) = str_at(&doc, "/output/compact") {
            assert!(Token::parse(compact).is_err(), "{f}");
            assert!(
                verify_compact_signature(compact, &bilbo_rsa(), &Algorithm::ALL).is_err(),
                "{f}"
            );
            seen += 1;
        }
        // The same header, re-encoded as a JWT, is still refused for `crit`.
        let header = str_at(&doc, "/output/json/signatures/0/protected").expect("protected");
        let with_jwt = format!("{header}.{}.c2ln", b64u(br#"{"iss":"x"}"#));
        let json: Value = serde_json::from_slice(&b64u_decode(header)).expect("header JSON");
        if json.get("crit").is_some() {
            assert!(
                matches!(Token::parse(&with_jwt), Err(FormatError::Crit(_))),
                "{f}"
            );
        }
    }
    assert_eq!(seen, 1);
}

/// The JWE examples (RFC 7520 §5, §6, RFC 8037 ECDH-ES) are five-part
/// encrypted tokens; the engine says so instead of trying to verify them.
#[test]
fn jwe_examples_are_refused_as_jwe() {
    let mut paths: Vec<(std::path::PathBuf, &str)> = std::fs::read_dir(cookbook("jwe"))
        .expect("jwe dir")
        .filter_map(Result::ok)
        .map(|e| (e.path(), "/output/compact"))
        .collect();
    paths.push((
        cookbook("6.nesting_signatures_and_encryption.json"),
        "/encrypt/output/compact",
    ));
    paths.push((cookbook("curve25519/ecdh-es.json"), "/output/compact"));
    let mut n = 0;
    for (p, ptr) in paths {
        if let Some(compact) = str_at(&read_json(&p), ptr) {
            assert_eq!(
                Token::parse(compact).unwrap_err(),
                FormatError::Jwe,
                "{}",
                p.display()
            );
            n += 1;
        }
    }
    println!("JWE compact examples refused as JWE: {n}");
    assert!(n >= 10, "{n}");
}

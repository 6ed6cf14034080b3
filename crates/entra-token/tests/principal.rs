#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Who a token speaks for, told as Microsoft documents it (`idtyp`, `scp`
//! against `roles`, `oid` against `sub`), and B2B guests warned about.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use entra_token::summary::{principal, Principal, Summary};
use entra_token::{check_text, Finding, Policy, Status, Token};
use serde_json::{json, Value};

const NOW: i64 = 1_767_225_600;
const TENANT: &str = "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f";
const AZ_CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const OID: &str = "0b8e4c7a-1f2d-4e3b-9a5c-6d7e8f901234";

fn token(claims: &Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "typ": "JWT", "kid": "k"}).to_string());
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode([7u8; 256]))
}

fn base() -> Value {
    json!({
        "aud": "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d", "iss": format!("https://sts.windows.net/{TENANT}/"),
        "iat": NOW - 600, "nbf": NOW - 600, "exp": NOW + 3000, "tid": TENANT, "ver": "1.0",
        "appid": AZ_CLI, "oid": OID, "sub": "pairwise-subject"
    })
}

fn with(extra: Value) -> Value {
    let mut c = base();
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn who(claims: &Value) -> Principal {
    let t = token(claims);
    let t = Token::parse(&t).unwrap();
    principal(&t.claims())
}

fn identity(claims: &Value) -> Finding {
    let (_, report) = check_text(&token(claims), None, &Policy::databricks(NOW));
    report
        .findings
        .into_iter()
        .find(|f| f.check == "identity")
        .unwrap()
}

#[test]
fn a_user_token_without_upn_is_a_user_not_the_azure_cli_service_principal() {
    // A guest or some sign-ins: scp, amr and oid, no upn or unique_name.
    let c = with(json!({"scp": "user_impersonation", "amr": ["pwd", "mfa"]}));
    match who(&c) {
        Principal::User { name, claim, .. } => {
            assert_eq!(name, OID);
            assert_eq!(claim, "oid");
        }
        other => panic!("not a user: {other:?}"),
    }
    let t = token(&c);
    let s = Summary::of(&Token::parse(&t).unwrap(), NOW);
    assert_eq!(s.principal_type, "user");
    assert_ne!(s.principal.as_deref(), Some(AZ_CLI));
    let f = identity(&c);
    assert_eq!(f.status, Status::Warn, "{f:?}");
    assert!(f.message.contains("names no user"), "{}", f.message);
    assert!(f.message.contains("UPN or email"), "{}", f.message);
    assert!(!f.message.contains("service-principal"), "{}", f.message);
}

#[test]
fn idtyp_decides_before_every_other_mark() {
    let c = with(json!({"idtyp": "user", "upn": null}));
    assert!(matches!(who(&c), Principal::User { .. }));
    let c = with(json!({"idtyp": "app", "scp": "user_impersonation", "upn": "x@contoso.example"}));
    assert!(matches!(who(&c), Principal::ServicePrincipal { .. }));
}

#[test]
fn app_only_tokens_are_told_by_roles_without_scp_or_by_oid_equal_to_sub() {
    let c = with(json!({"roles": ["Data.Read"]}));
    assert!(matches!(who(&c), Principal::ServicePrincipal { ref app_id, .. } if app_id == AZ_CLI));
    let c = with(json!({"sub": OID}));
    assert!(matches!(who(&c), Principal::ServicePrincipal { .. }));
    // roles with scp: a user to whom app roles are assigned.
    let c = with(
        json!({"roles": ["Admin"], "scp": "user_impersonation", "upn": "ada@contoso.example"}),
    );
    assert!(matches!(who(&c), Principal::User { ref name, .. } if name == "ada@contoso.example"));
    // And a member user with a UPN passes as before.
    let f = identity(&with(
        json!({"scp": "user_impersonation", "upn": "ada@contoso.example"}),
    ));
    assert_eq!(f.status, Status::Pass, "{f:?}");
}

#[test]
fn a_b2b_guest_is_warned_that_databricks_matches_by_upn_or_email() {
    // A personal Microsoft account invited as a guest (v1 token).
    let c = with(json!({
        "scp": "user_impersonation", "unique_name": "live.com#ada@outlook.com",
        "idp": "live.com", "email": "ada@outlook.com"
    }));
    let f = identity(&c);
    assert_eq!(f.status, Status::Warn, "{f:?}");
    assert!(f.message.contains("B2B guest"), "{}", f.message);
    assert!(f.message.contains("'idp' is live.com"), "{}", f.message);
    assert!(f.message.contains("UPN or email"), "{}", f.message);
    assert!(
        f.message.contains("see 'live.com#ada@outlook.com'"),
        "{}",
        f.message
    );
    assert!(f.message.contains("ada@outlook.com)"), "{}", f.message);
    assert!(f
        .fix
        .as_deref()
        .unwrap()
        .contains("'live.com#ada@outlook.com'"));
    // An account of another organisation: idp is its home tenant.
    let c = with(json!({
        "scp": "user_impersonation", "upn": "bob@fabrikam.example",
        "idp": "https://sts.windows.net/aaaaaaaa-1111-4111-8111-111111111111/"
    }));
    assert_eq!(identity(&c).status, Status::Warn);
    // acct = 1 alone.
    let c = with(json!({"scp": "user_impersonation", "upn": "bob@fabrikam.example", "acct": 1}));
    assert!(identity(&c).message.contains("'acct' is 1"));
    // The token's own tenant as idp, in the v2 form or as a bare ID, is no guest.
    for idp in [
        format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
        TENANT.to_owned(),
        format!("https://sts.windows.net/{TENANT}/"),
    ] {
        let c = with(
            json!({"scp": "user_impersonation", "upn": "ada@contoso.example", "idp": idp, "acct": 0}),
        );
        assert_eq!(identity(&c).status, Status::Pass, "{idp}");
    }
}

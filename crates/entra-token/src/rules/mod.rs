//! The rules: each turns a parsed token (and the signature outcome) into one
//! finding. They read nothing but their arguments.

mod audience;
mod databricks;
mod format;
mod identity;
mod issuer;
mod lifetime;
mod signature;
mod tenant;

use crate::error::FormatError;
use crate::findings::{names, Check, Finding, Report, Status};
use crate::input::Wrapping;
use crate::jws::Token;
use crate::keys::KeySet;
use crate::policy::Policy;
use crate::verify::{verify_token, SignatureOutcome};

pub use databricks::DATABRICKS_CLI;
pub use format::format_failure;
pub use lifetime::{lifetime_of, Times};
pub use signature::signature_finding;

/// How much a passing finding says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every finding has its message, expected and actual values.
    Full,
    /// Passing findings carry only their name and status (an empty message):
    /// for batch checks, where only what did not pass is written.
    Brief,
}

/// Runs every rule on an already verified (or unverifiable) token.
pub fn check_token(token: &Token, sig: &SignatureOutcome, policy: &Policy) -> Report {
    check_token_with(token, sig, policy, Detail::Full)
}

/// Runs every rule, with the given detail for passing findings.
pub fn check_token_with(
    token: &Token,
    sig: &SignatureOutcome,
    policy: &Policy,
    detail: Detail,
) -> Report {
    check_claims_with(token, &token.claims(), sig, policy, detail)
}

/// Like [`check_token_with`], with the token's claims already read (a
/// caller that also needs them reads them once).
pub fn check_claims_with(
    token: &Token,
    c: &crate::claims::Claims<'_>,
    sig: &SignatureOutcome,
    policy: &Policy,
    detail: Detail,
) -> Report {
    let brief = detail == Detail::Brief;
    // Brief: a pass is named, not described.
    let word = |check: Check, passes: bool, describe: &dyn Fn() -> Finding| {
        if brief && passes {
            Finding::pass(check, String::new())
        } else {
            describe()
        }
    };
    if kind_of(c, policy).is_databricks_oauth() {
        return databricks_report(token, c, sig, policy, detail);
    }
    let aud = audience::decide(c, policy);
    let iss = issuer::decide(c, policy);
    let tid = tenant::decide(c, policy);
    let life = lifetime::decide(&lifetime::Times::of(c), policy);
    let who = identity::decide(c);
    Report {
        findings: vec![
            word(Check::Format, true, &|| {
                format::format_pass(token, Wrapping::Bare)
            }),
            word(Check::Signature, sig.is_verified(), &|| {
                signature::signature_finding(token, sig, policy)
            }),
            word(Check::Audience, aud.status() == Status::Pass, &|| {
                audience::describe(&aud, policy)
            }),
            word(Check::Issuer, iss.status() == Status::Pass, &|| {
                issuer::describe(&iss, policy)
            }),
            word(Check::Tenant, tid.status() == Status::Pass, &|| {
                tenant::describe(&tid, policy)
            }),
            word(Check::Lifetime, life.status() == Status::Pass, &|| {
                lifetime::describe(&life, policy)
            }),
            word(Check::Identity, who.status() == Status::Pass, &|| {
                identity::describe(&who)
            }),
        ],
    }
}

/// What kind of token this is under `policy` (see [`crate::kind::classify`]):
/// an Entra ID issuer includes a v2 issuer under the policy's authority.
pub fn kind_of(c: &crate::claims::Claims<'_>, policy: &Policy) -> crate::kind::Kind {
    let entra = crate::claims::string(&c.iss).ok().is_some_and(|iss| {
        crate::issuer::parse_with_authority(iss, policy.authority.as_deref()).is_some()
    });
    crate::kind::classify(c, &policy.audiences, entra)
}

/// The report of a token Databricks issued: the same format, signature
/// and lifetime rules; its scope, issuing host and client instead of
/// Entra's audience, issuer, tenant and identity.
fn databricks_report(
    token: &Token,
    c: &crate::claims::Claims<'_>,
    sig: &SignatureOutcome,
    policy: &Policy,
    detail: Detail,
) -> Report {
    let life = lifetime::decide(&lifetime::Times::of(c), policy);
    let mut findings = vec![
        format::format_pass(token, Wrapping::Bare),
        signature::signature_finding(token, sig, policy),
        databricks::audience(c, policy),
        databricks::issuer(c, policy),
        databricks::tenant(policy),
        databricks::lifetime(lifetime::describe(&life, policy)),
        databricks::identity(c),
    ];
    if detail == Detail::Brief {
        for f in findings.iter_mut().filter(|f| f.status == Status::Pass) {
            *f = Finding::pass(f.check, String::new());
        }
    }
    Report { findings }
}

/// What a rule decided, before it is put in words.
pub(crate) trait Outcome {
    /// The status of the finding the outcome is described as.
    fn status(&self) -> Status;
}

/// The whole check from pasted text: extract, parse, verify (when keys are
/// given), apply the rules. A malformed token yields one failing `format`
/// finding and the other rules skipped.
pub fn check_text(text: &str, keys: Option<&KeySet>, policy: &Policy) -> (Option<Token>, Report) {
    match read_text(text) {
        Ok((token, format)) => {
            let sig = signature_outcome(&token, keys, policy);
            let mut report = check_token(&token, &sig, policy);
            report.set(format);
            (Some(token), report)
        }
        Err(report) => (None, report),
    }
}

/// The signature outcome the rules start from: skipped on request
/// ([`Policy::skip_signature`]), verified with `keys` under the policy's
/// algorithms, or no keys.
pub fn signature_outcome(
    token: &Token,
    keys: Option<&KeySet>,
    policy: &Policy,
) -> SignatureOutcome {
    match keys {
        _ if policy.skip_signature => SignatureOutcome::Skipped,
        Some(k) => verify_token(token, k, &policy.algorithms),
        None => SignatureOutcome::NoKeys,
    }
}

/// Reads pasted text into a token and its `format` finding (which says how
/// the text was wrapped), or gives the report of a token that did not parse
/// (a failing `format`, every other rule skipped). [`check_text`] is this,
/// then verification and the rules: a caller that runs steps in between
/// (the online checks) reads the text once with this.
pub fn read_text(text: &str) -> Result<(Token, Finding), Report> {
    if let Some(report) = non_jwt_text(text) {
        return Err(report);
    }
    let parsed = crate::input::extract(text).and_then(|(t, w)| Token::parse(t).map(|tok| (tok, w)));
    match parsed {
        Ok((token, wrapping)) => {
            let format = format::format_pass(&token, wrapping);
            Ok((token, format))
        }
        Err(e) => Err(malformed_report(&e)),
    }
}

/// The credential in pasted text when it is a Databricks personal access
/// token or OAuth secret (not a JWT), with the text it was found as.
pub fn non_jwt_in(text: &str) -> Option<(crate::kind::NonJwt, &str)> {
    let (t, _) = crate::input::extract(text).ok()?;
    crate::kind::non_jwt(t).map(|k| (k, t))
}

/// The report for pasted text that is a personal access token or an OAuth
/// secret, `None` for anything else.
pub fn non_jwt_text(text: &str) -> Option<Report> {
    // Only text that can be one: a JWT starts with eyJ.
    if text.trim_start().starts_with("eyJ") {
        return None;
    }
    non_jwt_in(text).map(|(k, t)| non_jwt_report(k, t))
}

/// The report for a personal access token (`dapi…`) or an OAuth secret
/// (`dose…`): not a JWT, so no claim or signature rule applies; a PAT is
/// checked only by the workspace that issued it. The credential is shown
/// masked.
pub fn non_jwt_report(kind: crate::kind::NonJwt, credential: &str) -> Report {
    use crate::kind::NonJwt;
    let masked = crate::text::redact_token(credential);
    let (format, why) = match kind {
        NonJwt::Pat => (
            Finding::pass(
                names::FORMAT,
                format!("a Databricks personal access token ({masked}), not a JWT: it carries no claims or signature to read; only the workspace that issued it can say whether it is valid"),
            )
            .actual(masked.clone()),
            "not applicable: a personal access token is not a JWT; only its workspace can check it",
        ),
        NonJwt::OauthSecret => (
            Finding::fail(
                names::FORMAT,
                format!("a Databricks OAuth secret ({masked}), not a token: it is a service principal's client secret, and no API accepts it as a bearer token"),
            )
            .actual(masked.clone())
            .fix("Exchange it for a token: POST <host>/oidc/v1/token with grant_type=client_credentials, scope=all-apis and the service principal's application ID and this secret (the SDKs' oauth-m2m does this). Treat the secret as a password: rotate it if it was shared."),
            "not applicable: an OAuth secret is not a token",
        ),
    };
    let mut findings = vec![format];
    findings.push(match kind {
        NonJwt::Pat => Finding::skip(names::SIGNATURE, "not checked: a personal access token has no signature; only the workspace that issued it can verify it")
            .fix("Check it against its workspace: 'check --workspace https://<workspace-host> <token>' asks the workspace (SCIM Me) and explains its answer."),
        NonJwt::OauthSecret => Finding::skip(names::SIGNATURE, why),
    });
    // The checks after format and signature.
    for &name in &Check::OFFLINE[2..] {
        findings.push(Finding::skip(name, why));
    }
    Report { findings }
}

/// The report for a token that did not parse.
pub fn malformed_report(e: &FormatError) -> Report {
    let mut findings = vec![format::format_failure(e)];
    // Every check after format.
    for &name in &Check::OFFLINE[1..] {
        findings.push(Finding::skip(
            name,
            "not checked: the token could not be parsed",
        ));
    }
    Report { findings }
}

#[cfg(test)]
mod tests {
    use super::audience::AudienceOutcome;
    use super::identity::IdentityOutcome;
    use super::lifetime::LifetimeOutcome;
    use super::tenant::TenantOutcome;
    use super::*;
    use crate::b64::encode;
    use crate::catalogue::resources::AZURE_DATABRICKS;
    use serde_json::{json, Value};

    const T1: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const T2: &str = "11111111-2222-3333-4444-555555555555";

    fn token(claims: &Value) -> Token {
        let h = encode(br#"{"alg":"RS256","kid":"k"}"#);
        Token::parse(&format!(
            "{h}.{}.c2ln",
            encode(claims.to_string().as_bytes())
        ))
        .unwrap()
    }

    /// A user token for Azure Databricks from tenant T1, valid at 2000.
    fn base() -> Value {
        json!({"aud": AZURE_DATABRICKS, "iss": format!("https://sts.windows.net/{T1}/"),
            "tid": T1, "ver": "1.0", "nbf": 1000, "iat": 1000, "exp": 5000, "upn": "a@b.c", "oid": "o"})
    }

    fn with(k: &str, v: Value) -> Value {
        let mut c = base();
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v;
        }
        c
    }

    fn policy(tenant: Option<&str>) -> Policy {
        let mut p = Policy::databricks(2000);
        p.tenant = tenant.map(str::to_owned);
        p
    }

    #[test]
    fn audience_outcome_passes_on_any_expected_audience_and_tells_an_id_token() {
        let p = policy(None);
        let t = token(&with("aud", json!(["x", AZURE_DATABRICKS])));
        let o = audience::decide(&t.claims(), &p);
        assert!(matches!(&o, AudienceOutcome::Pass { auds } if auds.len() == 2));
        assert_eq!(o.status(), Status::Pass);

        let mut access = with("aud", json!("https://management.azure.com/"));
        access["scp"] = json!("user_impersonation");
        let t = token(&access);
        let o = audience::decide(&t.claims(), &p);
        assert!(matches!(
            o,
            AudienceOutcome::Wrong {
                id_token: false,
                ..
            }
        ));

        let mut id = with("aud", json!("client-app"));
        id["nonce"] = json!("n");
        id.as_object_mut().unwrap().remove("upn");
        let t = token(&id);
        assert!(matches!(
            audience::decide(&t.claims(), &p),
            AudienceOutcome::Wrong { id_token: true, .. }
        ));

        let t = token(&with("aud", Value::Null));
        assert_eq!(audience::decide(&t.claims(), &p), AudienceOutcome::Missing);
        let t = token(&with("aud", json!(5)));
        assert!(matches!(
            audience::decide(&t.claims(), &p),
            AudienceOutcome::Malformed(_)
        ));
    }

    #[test]
    fn issuer_outcome_checks_shape_then_tenants_then_version() {
        let p = policy(Some(T1));
        let decide = |c: &Value, p: &Policy| {
            let t = token(c);
            let o = issuer::decide(&t.claims(), p);
            format!("{o:?}")
        };
        assert!(decide(&base(), &p).starts_with("Pass "));
        assert!(decide(&with("iss", json!("https://evil/x/")), &p).starts_with("NotEntra "));
        assert!(
            decide(&with("iss", json!("https://sts.windows.net/no good!/")), &p)
                .starts_with("BadTenant ")
        );
        let other = with("iss", json!(format!("https://sts.windows.net/{T2}/")));
        assert!(decide(&other, &p).starts_with("WrongTenant "));
        // Without a workspace tenant, the issuer's tenant must still be tid's.
        assert!(decide(&other, &policy(None)).starts_with("TidDisagrees "));
        assert!(decide(&with("tid", json!(5)), &p).starts_with("TidMalformed("));
        assert!(decide(&with("ver", json!("2.0")), &p).starts_with("VersionMismatch "));
        assert_eq!(decide(&with("iss", Value::Null), &p), "Missing");
        let mut pinned = policy(Some(T1));
        pinned.issuer = Some("https://my.idp/".into());
        assert!(decide(&base(), &pinned).starts_with("PinnedWrong "));
        assert!(decide(&with("iss", json!("https://my.idp/")), &pinned).starts_with("PinnedPass "));
    }

    #[test]
    fn tenant_outcome_compares_tid_without_case_and_skips_without_a_tenant() {
        let t = token(&base());
        let c = t.claims();
        assert_eq!(
            tenant::decide(&c, &policy(Some(&T1.to_uppercase()))),
            TenantOutcome::Pass { tid: T1 }
        );
        assert_eq!(
            tenant::decide(&c, &policy(Some(T2))),
            TenantOutcome::Wrong { tid: T1 }
        );
        assert_eq!(
            tenant::decide(&c, &policy(None)),
            TenantOutcome::NoPolicy { tid: Some(T1) }
        );
        let t = token(&with("tid", json!("no good!")));
        // A tid that is no tenant fails even without a tenant to compare with.
        assert_eq!(
            tenant::decide(&t.claims(), &policy(None)),
            TenantOutcome::NotTenant { tid: "no good!" }
        );
        let t = token(&with("tid", Value::Null));
        assert_eq!(
            tenant::decide(&t.claims(), &policy(Some(T1))),
            TenantOutcome::Missing
        );
        assert_eq!(
            tenant::decide(&t.claims(), &policy(None)),
            TenantOutcome::NoPolicy { tid: None }
        );
    }

    #[test]
    fn lifetime_outcome_at_the_edges_of_the_clock_skew() {
        let at = |exp: i64, nbf: Option<i64>, iat: Option<i64>, now: i64| {
            let mut c = base();
            c["exp"] = json!(exp);
            let o = c.as_object_mut().unwrap();
            for (k, v) in [("nbf", nbf), ("iat", iat)] {
                match v {
                    Some(v) => o.insert(k.into(), json!(v)),
                    None => o.remove(k),
                };
            }
            let t = token(&c);
            lifetime::decide(&Times::of(&t.claims()), &Policy::databricks(now))
        };
        use LifetimeOutcome as L;
        let exp = 5000;
        let nbf = Some(1000);
        // (nbf, iat, now, the outcome), exp 5000 throughout.
        let cases = [
            (nbf, None, 4999, L::Pass { exp, nbf }),
            (nbf, None, 5000, L::ExpiredWithinSkew { exp, nbf }),
            (nbf, None, 5299, L::ExpiredWithinSkew { exp, nbf }),
            (nbf, None, 5300, L::Expired { exp, nbf }),
            (nbf, None, 999, L::NotYetWithinSkew { exp, nbf: 1000 }),
            (nbf, None, 699, L::NotYet { exp, nbf: 1000 }),
            (
                None,
                Some(2301),
                2000,
                L::IssuedInFuture {
                    exp,
                    nbf: None,
                    iat: 2301,
                },
            ),
            (None, Some(2300), 2000, L::Pass { exp, nbf: None }),
        ];
        for (nbf, iat, now, outcome) in cases {
            assert_eq!(
                at(exp, nbf, iat, now),
                outcome,
                "nbf {nbf:?}, iat {iat:?}, now {now}"
            );
        }
        let t = token(&with("exp", Value::Null));
        assert_eq!(
            lifetime::decide(&Times::of(&t.claims()), &policy(None)),
            LifetimeOutcome::ExpMissing
        );
        let t = token(&with("nbf", json!("soon")));
        assert!(matches!(
            lifetime::decide(&Times::of(&t.claims()), &policy(None)),
            LifetimeOutcome::NbfMalformed(_)
        ));
    }

    #[test]
    fn identity_outcome_tells_users_guests_and_applications() {
        let decide = |c: &Value| identity::decide(&token(c).claims());
        assert!(matches!(
            decide(&base()),
            IdentityOutcome::User { claim: "upn", .. }
        ));
        let mut scp = with("upn", Value::Null);
        scp["scp"] = json!("user_impersonation");
        assert!(matches!(
            decide(&scp),
            IdentityOutcome::UserWithoutName { claim: "oid", .. }
        ));
        let mut guest = with("upn", json!("live.com#me@outlook.com"));
        guest["idp"] = json!("live.com");
        assert!(matches!(decide(&guest), IdentityOutcome::Guest { .. }));
        let mut app = with("upn", Value::Null);
        app["appid"] = json!("app");
        app["idtyp"] = json!("app");
        let o = decide(&app);
        assert!(matches!(
            &o,
            IdentityOutcome::ServicePrincipal { oid: Some(_), .. }
        ));
        assert_eq!(o.status(), Status::Pass);
        app.as_object_mut().unwrap().remove("oid");
        assert_eq!(decide(&app).status(), Status::Warn);
        app.as_object_mut().unwrap().remove("appid");
        app.as_object_mut().unwrap().remove("idtyp");
        assert_eq!(decide(&app), IdentityOutcome::Unknown);
    }

    /// The status a rule decides is the status of the finding its words
    /// make: brief mode trusts the former, full mode shows the latter.
    #[test]
    fn every_outcome_is_described_with_the_status_it_decided() {
        let mut claims = vec![base()];
        for (k, v) in [
            ("aud", json!("https://management.azure.com/")),
            ("aud", json!(5)),
            ("aud", Value::Null),
            ("iss", json!("https://evil/x/")),
            ("iss", json!("https://sts.windows.net/no good!/")),
            ("iss", json!(format!("https://sts.windows.net/{T2}/"))),
            ("iss", Value::Null),
            ("tid", json!(T2)),
            ("tid", json!("no good!")),
            ("tid", json!(5)),
            ("tid", Value::Null),
            ("ver", json!("2.0")),
            ("exp", json!(1500)),
            ("exp", json!(2100)),
            ("exp", json!("soon")),
            ("exp", Value::Null),
            ("nbf", json!(2200)),
            ("nbf", json!(2500)),
            ("nbf", json!("x")),
            ("iat", json!(9000)),
            ("upn", Value::Null),
            ("idp", json!("live.com")),
        ] {
            claims.push(with(k, v));
        }
        let mut statuses = std::collections::BTreeSet::new();
        for tenant in [None, Some(T1), Some(T2)] {
            let p = policy(tenant);
            for c in &claims {
                let t = token(c);
                let cl = t.claims();
                let o = audience::decide(&cl, &p);
                assert_eq!(audience::describe(&o, &p).status, o.status(), "{o:?}");
                let o = issuer::decide(&cl, &p);
                assert_eq!(issuer::describe(&o, &p).status, o.status(), "{o:?}");
                let o = tenant::decide(&cl, &p);
                assert_eq!(tenant::describe(&o, &p).status, o.status(), "{o:?}");
                statuses.insert(o.status());
                let o = lifetime::decide(&Times::of(&cl), &p);
                assert_eq!(lifetime::describe(&o, &p).status, o.status(), "{o:?}");
                statuses.insert(o.status());
                let o = identity::decide(&cl);
                assert_eq!(identity::describe(&o).status, o.status(), "{o:?}");
                statuses.insert(o.status());
            }
        }
        assert_eq!(statuses.len(), 4, "the cases reach every status");
    }

    fn verified() -> SignatureOutcome {
        SignatureOutcome::Verified {
            alg: crate::Algorithm::RS256,
            key: "k".into(),
            key_issuer: None,
        }
    }

    fn dbx_token(iss: &str) -> Token {
        token(
            &json!({"iss": iss, "aud": "databricks-cli", "sub": "a@b.c", "client_id": "databricks-cli",
            "scope": "all-apis offline_access", "iat": 1000, "exp": 5000}),
        )
    }

    #[test]
    fn a_databricks_token_is_checked_by_databricks_rules_against_the_host_given() {
        let ws = "https://adb-1.2.azuredatabricks.net";
        let t = dbx_token(&format!("{ws}/oidc"));
        let mut p = policy(None);
        p.databricks_host = Some(ws.into());
        assert_eq!(kind_of(&t.claims(), &p), crate::Kind::DatabricksOauth);
        let r = check_token(&t, &verified(), &p);
        assert!(r.valid(), "{:#?}", r.findings);
        assert_eq!(r.get(Check::Tenant).unwrap().status, Status::Skip);
        assert!(r
            .get(Check::Identity)
            .unwrap()
            .message
            .contains("Databricks CLI"));
        let sm = crate::Summary::of(&t, 2000);
        assert_eq!(
            (sm.kind, sm.principal_type, sm.principal.as_deref()),
            (crate::summary::TokenKind::Access, "user", Some("a@b.c"))
        );
        assert_eq!(sm.token_kind, crate::Kind::DatabricksOauth);
        // An expired one is told how Databricks tokens are renewed.
        let mut late = Policy::databricks(9000);
        late.databricks_host = Some(ws.into());
        let r = check_token(&t, &verified(), &late);
        let fix = r.get(Check::Lifetime).unwrap().fix.clone().unwrap();
        assert!(fix.contains("databricks auth login"), "{fix}");
        // Another workspace's host: the wrong host fails.
        p.databricks_host = Some("https://adb-3.4.azuredatabricks.net".into());
        let r = check_token(&t, &verified(), &p);
        assert_eq!(r.failed().collect::<Vec<_>>(), vec!["issuer"]);
        // No host given: not compared, never valid.
        let r = check_token(&t, &verified(), &policy(None));
        assert!(!r.valid(), "{:#?}", r.findings);
        assert_eq!(r.get(Check::Issuer).unwrap().status, Status::Fail);
        // Unverified: incomplete whatever the claims.
        p.databricks_host = Some(ws.into());
        let r = check_token(&t, &SignatureOutcome::NoKeys, &p);
        assert_eq!(r.verdict(), crate::Verdict::Incomplete);
        // Brief keeps statuses.
        let b = check_token_with(&t, &verified(), &p, Detail::Brief);
        assert!(b
            .findings
            .iter()
            .filter(|f| f.status == Status::Pass)
            .all(|f| f.message.is_empty()));
        assert_eq!(b.findings.len(), 7);
    }

    #[test]
    fn a_databricks_token_of_any_host_is_not_valid_without_the_host_it_must_come_from() {
        // Signed by a trusted key, but its issuer is whatever host it names.
        let t = token(
            &json!({"iss": "https://evil.example.com/oidc", "aud": "x", "sub": "a",
            "client_id": "a", "scope": "all-apis", "iat": 1000, "exp": 5000}),
        );
        let p = policy(None);
        assert_eq!(kind_of(&t.claims(), &p), crate::Kind::DatabricksOauth);
        let r = check_token(&t, &verified(), &p);
        assert!(!r.valid(), "{:#?}", r.findings);
        let f = r.get(Check::Issuer).unwrap();
        assert_eq!(f.status, Status::Fail);
        assert!(f.fix.as_deref().unwrap().contains("--workspace"), "{f:?}");
    }

    #[test]
    fn a_pinned_tenant_without_a_host_fails_a_databricks_token() {
        let ws = "https://adb-1.2.azuredatabricks.net";
        let t = dbx_token(&format!("{ws}/oidc"));
        let mut p = policy(Some(T1));
        assert_eq!(kind_of(&t.claims(), &p), crate::Kind::DatabricksOauth);
        let r = check_token(&t, &verified(), &p);
        assert_eq!(r.failed().collect::<Vec<_>>(), vec!["issuer", "tenant"]);
        assert!(r.get(Check::Tenant).unwrap().message.contains(T1));
        // With the host it must come from, the issuing host decides.
        p.databricks_host = Some(ws.into());
        let r = check_token(&t, &verified(), &p);
        assert!(r.valid(), "{:#?}", r.findings);
        assert_eq!(r.get(Check::Tenant).unwrap().status, Status::Skip);
    }

    #[test]
    fn a_given_audience_is_compared_with_a_databricks_tokens_aud() {
        let ws = "https://adb-1.2.azuredatabricks.net";
        let t = dbx_token(&format!("{ws}/oidc"));
        let mut p = policy(None);
        p.databricks_host = Some(ws.into());
        p.audiences.push("api://other".into());
        assert_eq!(kind_of(&t.claims(), &p), crate::Kind::DatabricksOauth);
        let r = check_token(&t, &verified(), &p);
        assert_eq!(r.failed().collect::<Vec<_>>(), vec!["audience"]);
        // The token's own aud given: it passes.
        p.audiences.push("databricks-cli".into());
        assert!(check_token(&t, &verified(), &p).valid());
    }

    #[test]
    fn an_account_token_on_the_account_host_needs_the_configured_account_id() {
        let host = "https://accounts.azuredatabricks.net";
        let t = dbx_token(&format!("{host}/oidc/accounts/acct-1"));
        let mut p = policy(None);
        p.databricks_host = Some(host.into());
        assert_eq!(
            kind_of(&t.claims(), &p),
            crate::Kind::DatabricksOauthAccount
        );
        // No account ID configured: anyone's account token would pass.
        let r = check_token(&t, &verified(), &p);
        assert_eq!(r.failed().collect::<Vec<_>>(), vec!["issuer"]);
        assert!(r
            .get(Check::Issuer)
            .unwrap()
            .fix
            .as_deref()
            .unwrap()
            .contains("DATABRICKS_ACCOUNT_ID"));
        p.databricks_account_id = Some("acct-2".into());
        let r = check_token(&t, &verified(), &p);
        assert_eq!(r.failed().collect::<Vec<_>>(), vec!["issuer"]);
        assert!(r.get(Check::Issuer).unwrap().message.contains("acct-2"));
        p.databricks_account_id = Some("ACCT-1".into());
        assert!(check_token(&t, &verified(), &p).valid());
    }

    #[test]
    fn a_personal_access_token_is_recognised_never_malformed_and_never_valid_alone() {
        let pat = "dapi0123456789abcdef0123456789abcdef";
        for text in [
            pat.to_owned(),
            format!("Bearer {pat}"),
            format!("export DATABRICKS_TOKEN={pat}"),
        ] {
            let (tok, r) = check_text(&text, None, &policy(None));
            assert!(tok.is_none());
            let f = r.get(Check::Format).unwrap();
            assert_eq!(f.status, Status::Pass, "{text}");
            assert!(f.message.contains("personal access token"), "{}", f.message);
            assert!(!f.message.contains(pat), "the PAT is masked: {}", f.message);
            assert_eq!(r.verdict(), crate::Verdict::Incomplete);
        }
        let (_, r) = check_text("dose0000demo0000not0000a0000real0000", None, &policy(None));
        assert_eq!(r.get(Check::Format).unwrap().status, Status::Fail);
        assert!(!format!("{r:?}").contains("dose0000demo0000not0000a0000real0000"));
        // Almost a PAT is still malformed.
        let (_, r) = check_text("dapi0123", None, &policy(None));
        assert_eq!(r.get(Check::Format).unwrap().status, Status::Fail);
    }

    #[test]
    fn a_v2_issuer_under_a_custom_authority_passes_only_with_that_authority() {
        let iss = format!("http://127.0.0.1:4000/{T1}/v2.0");
        let t = token(&with("iss", json!(iss)));
        let mut p = policy(Some(T1));
        let c = t.claims();
        assert!(format!("{:?}", issuer::decide(&c, &p)).starts_with("NotEntra "));
        p.authority = Some("http://127.0.0.1:4000".into());
        let o = issuer::decide(&c, &p);
        // Recognised as Entra's v2 shape (the base claims say ver 1.0).
        assert!(format!("{o:?}").starts_with("VersionMismatch "), "{o:?}");
        let t2 = token(&{
            let mut v = with("iss", json!(iss));
            v["ver"] = json!("2.0");
            v
        });
        let f = issuer::describe(&issuer::decide(&t2.claims(), &p), &p);
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert_eq!(f.expected.as_deref(), Some(iss.as_str()));
        assert_eq!(kind_of(&t2.claims(), &p), crate::Kind::EntraAccess);
    }

    #[test]
    fn graph_and_arm_tokens_are_named_with_the_fix() {
        for (aud, kind, word) in [
            (
                "https://graph.microsoft.com",
                crate::Kind::EntraGraph,
                "Microsoft Graph token",
            ),
            (
                "https://management.azure.com/",
                crate::Kind::EntraArm,
                "Azure Resource Manager token",
            ),
        ] {
            let mut c = with("aud", json!(aud));
            c["scp"] = json!("User.Read");
            let t = token(&c);
            assert_eq!(kind_of(&t.claims(), &policy(None)), kind);
            let r = check_token(&t, &verified(), &policy(None));
            let f = r.get(Check::Audience).unwrap();
            assert_eq!(f.status, Status::Fail);
            let fix = f.fix.as_deref().unwrap();
            assert!(
                fix.contains(word) && fix.contains(AZURE_DATABRICKS),
                "{fix}"
            );
        }
    }

    #[test]
    fn brief_leaves_passes_undescribed_and_describes_the_rest() {
        let t = token(&with("aud", json!("https://management.azure.com/")));
        let verified = SignatureOutcome::Verified {
            alg: crate::Algorithm::RS256,
            key: "k".into(),
            key_issuer: None,
        };
        let p = policy(Some(T1));
        let brief = check_token_with(&t, &verified, &p, Detail::Brief);
        let full = check_token_with(&t, &verified, &p, Detail::Full);
        for (b, f) in brief.findings.iter().zip(&full.findings) {
            assert_eq!((b.check, b.status), (f.check, f.status));
            if b.status == Status::Pass {
                assert!(b.message.is_empty() && b.expected.is_none(), "{b:?}");
                assert!(!f.message.is_empty(), "{f:?}");
            } else {
                assert_eq!(b, f);
            }
        }
        assert_eq!(brief.findings.len(), 7);
        assert_eq!(brief.get(Check::Audience).unwrap().status, Status::Fail);
    }
}

//! The findings model: every rule reports one [`Finding`]; renderers (text,
//! JSON, HTML) consume them and never decide anything themselves.

use serde::Serialize;

/// A finding's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The rule held.
    Pass,
    /// The rule held, but something deserves attention (e.g. `exp` passed
    /// but within the clock skew); does not make the report invalid.
    Warn,
    /// The rule failed: the token would be refused.
    Fail,
    /// The rule could not run (missing input, or a step before it failed).
    Skip,
}

impl Status {
    /// `pass`, `warn`, `fail`, `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// A check: what a finding is about. Its stable name ([`Check::as_str`])
/// is what JSON and text show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The text is a well-formed signed token (`format`).
    Format,
    /// The signature verified with a trusted key and an allowed algorithm.
    Signature,
    /// `aud` is one of the accepted audiences.
    Audience,
    /// `iss` is an Entra issuer (or the exact one the policy names).
    Issuer,
    /// The token comes from the expected tenant (`tid` and `iss`).
    Tenant,
    /// `nbf` and `exp` allow "now", within the clock skew.
    Lifetime,
    /// Who the token speaks for (user or service principal) and what
    /// Databricks will look up.
    Identity,
    /// Online: the signing keys from the issuer's OpenID discovery.
    Discovery,
    /// Online: the workspace and its tenant (from `<host>/aad/auth`).
    Workspace,
    /// Online: the token's principal exists in the workspace (SCIM `Me`).
    Membership,
    /// `auth`: getting the token as the SDK would (the method ran, or the
    /// token endpoint, `az` or a token cache said why not).
    Credential,
}

impl Check {
    /// Every check, in the order a report lists the offline ones.
    pub const ALL: [Check; 11] = [
        Check::Format,
        Check::Signature,
        Check::Audience,
        Check::Issuer,
        Check::Tenant,
        Check::Lifetime,
        Check::Identity,
        Check::Discovery,
        Check::Workspace,
        Check::Membership,
        Check::Credential,
    ];

    /// The offline checks (the engine's rules), in the order a report
    /// lists them: `format` to `identity`, the start of [`Check::ALL`].
    pub const OFFLINE: &'static [Check] = Check::ALL.as_slice().split_at(7).0;

    /// The stable name: `format`, `signature`, `audience`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Format => "format",
            Check::Signature => "signature",
            Check::Audience => "audience",
            Check::Issuer => "issuer",
            Check::Tenant => "tenant",
            Check::Lifetime => "lifetime",
            Check::Identity => "identity",
            Check::Discovery => "discovery",
            Check::Workspace => "workspace",
            Check::Membership => "membership",
            Check::Credential => "credential",
        }
    }
}

/// Ordered by name, as the names were sorted before they were an enum.
impl Ord for Check {
    fn cmp(&self, other: &Check) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Check {
    fn partial_cmp(&self, other: &Check) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so that width and alignment (`{:<10}`) apply.
        f.pad(self.as_str())
    }
}

impl Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for Check {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Check {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The checks under their former constant names.
pub mod names {
    use super::Check;
    /// [`Check::Format`].
    pub const FORMAT: Check = Check::Format;
    /// [`Check::Signature`].
    pub const SIGNATURE: Check = Check::Signature;
    /// [`Check::Audience`].
    pub const AUDIENCE: Check = Check::Audience;
    /// [`Check::Issuer`].
    pub const ISSUER: Check = Check::Issuer;
    /// [`Check::Tenant`].
    pub const TENANT: Check = Check::Tenant;
    /// [`Check::Lifetime`].
    pub const LIFETIME: Check = Check::Lifetime;
    /// [`Check::Identity`].
    pub const IDENTITY: Check = Check::Identity;
    /// Online: the signing keys from the issuer's OpenID discovery.
    pub const DISCOVERY: Check = Check::Discovery;
    /// Online: the workspace and its tenant (from `<host>/aad/auth`).
    pub const WORKSPACE: Check = Check::Workspace;
    /// Online: the token's principal exists in the workspace (SCIM `Me`).
    pub const MEMBERSHIP: Check = Check::Membership;
    /// `auth`: the SDK's method got a token (or was refused).
    pub const CREDENTIAL: Check = Check::Credential;
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check (serialized as its stable name).
    pub check: Check,
    /// Whether the rule held.
    pub status: Status,
    /// What the rule wanted, when it compares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the token had.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// One or two sentences: what was found.
    pub message: String,
    /// What a person can do about it (absent on a pass).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// A finding with only a status and message.
    pub fn new(check: Check, status: Status, message: impl Into<String>) -> Finding {
        Finding {
            check,
            status,
            expected: None,
            actual: None,
            message: message.into(),
            fix: None,
        }
    }

    /// A passing finding.
    pub fn pass(check: Check, message: impl Into<String>) -> Finding {
        Finding::new(check, Status::Pass, message)
    }

    /// A failing finding.
    pub fn fail(check: Check, message: impl Into<String>) -> Finding {
        Finding::new(check, Status::Fail, message)
    }

    /// A warning.
    pub fn warn(check: Check, message: impl Into<String>) -> Finding {
        Finding::new(check, Status::Warn, message)
    }

    /// A rule that could not run.
    pub fn skip(check: Check, message: impl Into<String>) -> Finding {
        Finding::new(check, Status::Skip, message)
    }

    /// Sets what was expected.
    pub fn expected(mut self, v: impl Into<String>) -> Finding {
        self.expected = Some(v.into());
        self
    }

    /// Sets what was found.
    pub fn actual(mut self, v: impl Into<String>) -> Finding {
        self.actual = Some(v.into());
        self
    }

    /// Sets the fix.
    pub fn fix(mut self, v: impl Into<String>) -> Finding {
        self.fix = Some(v.into());
        self
    }
}

/// All findings for one token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// One finding per rule, in [`Check::ALL`] order for the offline
    /// checks; online checks (discovery, workspace, membership) are merged
    /// in by the caller.
    pub findings: Vec<Finding>,
}

/// What a report amounts to: the one answer a script or a proxy gates on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The signature verified with a trusted key and no finding failed.
    Valid,
    /// At least one finding failed.
    Invalid,
    /// No finding failed, but the signature was not verified (no keys, a
    /// key lookup that could not run, or the claims checked alone on
    /// request): the token is not accepted.
    Incomplete,
}

/// A report's verdict in one sentence, as the text output, `check --json`'s
/// `verdict` and the page all say it: a lead ("Not valid", "Valid", "Not
/// verified") that a terminal may colour, and the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictSentence {
    /// The verdict the sentence states.
    pub verdict: Verdict,
    /// "Not valid", "Valid" or "Not verified".
    pub lead: &'static str,
    /// From the colon on: ": 1 check(s) failed: audience."
    pub rest: String,
}

impl std::fmt::Display for VerdictSentence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.lead, self.rest)
    }
}

impl Serialize for VerdictSentence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The verdict of a list of findings: [`Verdict::Valid`] only when the
/// `signature` finding is among them and passed, and none failed. A list
/// without a `signature` finding is never valid.
pub fn verdict_of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Verdict {
    let mut verified = false;
    for f in findings {
        if f.status == Status::Fail {
            return Verdict::Invalid;
        }
        if f.check == names::SIGNATURE && f.status == Status::Pass {
            verified = true;
        }
    }
    if verified {
        Verdict::Valid
    } else {
        Verdict::Incomplete
    }
}

/// Like [`verdict_of`], given only the findings that did not pass, of a
/// report that has a `signature` finding (every report the rules make
/// does): valid when none is a failure and the signature is not among them.
pub fn verdict_of_unpassed<'a>(unpassed: impl IntoIterator<Item = &'a Finding>) -> Verdict {
    let mut signature_unpassed = false;
    for f in unpassed {
        if f.status == Status::Fail {
            return Verdict::Invalid;
        }
        signature_unpassed |= f.check == names::SIGNATURE;
    }
    if signature_unpassed {
        Verdict::Incomplete
    } else {
        Verdict::Valid
    }
}

impl Report {
    /// The token is accepted: its signature verified with a trusted key
    /// and no finding failed. A signature not checked (no keys, or the
    /// claims alone on request) is never valid.
    pub fn valid(&self) -> bool {
        self.verdict() == Verdict::Valid
    }

    /// No finding failed (the signature may not have been checked): what
    /// `--skip-signature` answers for.
    pub fn claims_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.status == Status::Fail)
    }

    /// Valid, invalid, or incomplete (see [`Verdict`]).
    pub fn verdict(&self) -> Verdict {
        verdict_of(&self.findings)
    }

    /// The verdict in one sentence (see [`VerdictSentence`]): the failed
    /// checks; the checks not run on a valid token; or, when the signature
    /// was not verified, how to verify it (the `signature` finding's fix).
    pub fn verdict_sentence(&self) -> VerdictSentence {
        let verdict = self.verdict();
        let (lead, rest) = match verdict {
            Verdict::Invalid => {
                let failed: Vec<_> = self.failed().collect();
                (
                    "Not valid",
                    format!(": {} check(s) failed: {}.", failed.len(), failed.join(", ")),
                )
            }
            Verdict::Valid => {
                let skipped: Vec<_> = self
                    .findings
                    .iter()
                    .filter(|f| f.status == Status::Skip)
                    .map(|f| f.check.as_str())
                    .collect();
                if skipped.is_empty() {
                    ("Valid", ": every check passed.".to_owned())
                } else {
                    (
                        "Valid",
                        format!(
                            ": the signature verified and no check failed; not run: {}.",
                            skipped.join(", ")
                        ),
                    )
                }
            }
            Verdict::Incomplete => {
                let how = self
                    .get(Check::Signature)
                    .and_then(|f| f.fix.as_deref())
                    .map(|f| format!(" {f}"))
                    .unwrap_or_default();
                (
                    "Not verified",
                    format!(": no check failed, but the signature was not checked, so the token is not accepted as valid.{how}"),
                )
            }
        };
        VerdictSentence {
            verdict,
            lead,
            rest,
        }
    }

    /// Whether the signature was verified with a trusted key.
    pub fn signature_verified(&self) -> bool {
        self.get(names::SIGNATURE)
            .is_some_and(|f| f.status == Status::Pass)
    }

    /// Every rule ran (none skipped).
    pub fn complete(&self) -> bool {
        !self.findings.iter().any(|f| f.status == Status::Skip)
    }

    /// The names of the failed checks.
    pub fn failed(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| f.check.as_str())
    }

    /// The finding of a check (a [`Check`], or its name).
    pub fn get<C>(&self, check: C) -> Option<&Finding>
    where
        Check: PartialEq<C>,
    {
        self.findings.iter().find(|f| f.check == check)
    }

    /// Adds or replaces the finding of the same check.
    pub fn set(&mut self, finding: Finding) {
        match self.findings.iter_mut().find(|f| f.check == finding.check) {
            Some(slot) => *slot = finding,
            None => self.findings.push(finding),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_serializes_and_displays_as_its_stable_name() {
        for c in Check::ALL {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            assert_eq!(c.to_string(), c.as_str());
            assert!(c == c.as_str());
        }
        assert_eq!(format!("[{:<10}]", Check::Tenant), "[tenant    ]");
    }

    #[test]
    fn the_offline_checks_are_format_to_identity_in_report_order() {
        let names: Vec<&str> = Check::OFFLINE.iter().map(|c| c.as_str()).collect();
        let names = names.join(" ");
        assert_eq!(
            names,
            "format signature audience issuer tenant lifetime identity"
        );
        let report = crate::rules::malformed_report(&crate::FormatError::Empty);
        let order: Vec<Check> = report.findings.iter().map(|f| f.check).collect();
        assert_eq!(order, Check::OFFLINE);
    }

    fn finding(check: Check, status: Status) -> Finding {
        Finding::new(check, status, "m")
    }

    #[test]
    fn verdict_sentence_names_the_failed_checks() {
        let r = Report {
            findings: vec![
                finding(Check::Signature, Status::Pass),
                finding(Check::Audience, Status::Fail),
                finding(Check::Tenant, Status::Fail),
                finding(Check::Lifetime, Status::Warn),
            ],
        };
        let s = r.verdict_sentence();
        assert_eq!(s.verdict, Verdict::Invalid);
        assert_eq!(s.lead, "Not valid");
        assert_eq!(
            s.to_string(),
            "Not valid: 2 check(s) failed: audience, tenant."
        );
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!("Not valid: 2 check(s) failed: audience, tenant.")
        );
    }

    #[test]
    fn verdict_sentence_of_a_valid_token_says_what_did_not_run() {
        let mut r = Report {
            findings: vec![
                finding(Check::Signature, Status::Pass),
                finding(Check::Audience, Status::Pass),
            ],
        };
        assert_eq!(
            r.verdict_sentence().to_string(),
            "Valid: every check passed."
        );
        r.set(finding(Check::Tenant, Status::Skip));
        assert_eq!(
            r.verdict_sentence().to_string(),
            "Valid: the signature verified and no check failed; not run: tenant."
        );
    }

    #[test]
    fn verdict_sentence_without_a_verified_signature_says_how_to_verify() {
        let r = Report {
            findings: vec![
                Finding::skip(Check::Signature, "no keys").fix("Give --jwks FILE."),
                finding(Check::Audience, Status::Pass),
            ],
        };
        let s = r.verdict_sentence();
        assert_eq!(s.verdict, Verdict::Incomplete);
        assert_eq!(s.lead, "Not verified");
        assert_eq!(
            s.to_string(),
            "Not verified: no check failed, but the signature was not checked, so the token is not accepted as valid. Give --jwks FILE."
        );
    }

    #[test]
    fn checks_sort_by_name() {
        let mut all = Check::ALL.to_vec();
        all.sort();
        let names: Vec<_> = all.iter().map(|c| c.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names[0], "audience");
    }
}

//! The findings model: every rule reports one [`Finding`]; renderers (text,
//! JSON, HTML) consume them and never decide anything themselves.

use serde::Serialize;

/// A finding's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
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

/// The stable names of the checks, as they appear in `check` fields.
pub mod names {
    pub const FORMAT: &str = "format";
    pub const SIGNATURE: &str = "signature";
    pub const AUDIENCE: &str = "audience";
    pub const ISSUER: &str = "issuer";
    pub const TENANT: &str = "tenant";
    pub const LIFETIME: &str = "lifetime";
    pub const IDENTITY: &str = "identity";
    /// Online: the signing keys from the issuer's OpenID discovery.
    pub const DISCOVERY: &str = "discovery";
    /// Online: the workspace and its tenant (from `<host>/aad/auth`).
    pub const WORKSPACE: &str = "workspace";
    /// Online: the token's principal exists in the workspace (SCIM `Me`).
    pub const MEMBERSHIP: &str = "membership";
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable name (see [`names`]).
    pub check: &'static str,
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
    pub fn new(check: &'static str, status: Status, message: impl Into<String>) -> Finding {
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
    pub fn pass(check: &'static str, message: impl Into<String>) -> Finding {
        Finding::new(check, Status::Pass, message)
    }

    /// A failing finding.
    pub fn fail(check: &'static str, message: impl Into<String>) -> Finding {
        Finding::new(check, Status::Fail, message)
    }

    /// A warning.
    pub fn warn(check: &'static str, message: impl Into<String>) -> Finding {
        Finding::new(check, Status::Warn, message)
    }

    /// A rule that could not run.
    pub fn skip(check: &'static str, message: impl Into<String>) -> Finding {
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
            .map(|f| f.check)
    }

    /// The finding of a check, by name.
    pub fn get(&self, check: &str) -> Option<&Finding> {
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

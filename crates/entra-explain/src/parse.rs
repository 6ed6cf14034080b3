//! Recognises the kinds of pasted text and pulls out codes, error strings,
//! IDs and details.

use serde_json::{Map, Value};

use super::chains;
use super::databricks;
use super::lenient;
use super::scan::{self, contains_ci, find_ci};
use super::{
    lookup_url, CodeEntry, DatabricksFinding, DatabricksProblem, ErrorReport, ExplainError, Hints,
    InputKind, MAX_INPUT_BYTES,
};
use crate::aadsts;
use entra_token::limits::{json_depth_exceeds, MAX_JSON_DEPTH};

/// Keys that mark an OAuth (token endpoint) error object.
const OAUTH_KEYS: [&str; 3] = ["error", "error_description", "error_codes"];

/// Parses pasted text into an [`ErrorReport`].
///
/// Fails with [`ExplainError::Empty`], [`ExplainError::TooLarge`] (over
/// [`MAX_INPUT_BYTES`]), or [`ExplainError::NotRecognised`] when the text
/// holds no AADSTS code, OAuth error or Databricks error.
pub fn parse(input: &str) -> Result<ErrorReport, ExplainError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(ExplainError::TooLarge {
            len: input.len(),
            max: MAX_INPUT_BYTES,
        });
    }
    let text = input.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(ExplainError::Empty);
    }
    let mut b = Builder::default();
    if let Some(code) = bare_code(text) {
        b.kind = Some(InputKind::BareCode);
        b.codes.push(code);
        return b.finish(text, false);
    }
    if let Some((obj, strict)) = whole_object(text) {
        if has_any(&obj, &OAUTH_KEYS) {
            b.kind = Some(if strict {
                InputKind::TokenEndpointJson
            } else {
                InputKind::LibraryException
            });
            if !strict {
                b.library = Some("MSAL Python");
            }
            b.apply_oauth(&obj);
            b.scan_text(text);
            return b.finish(text, true);
        }
        if has_any(&obj, &["error_code", "message"]) {
            b.kind = Some(InputKind::DatabricksResponse);
            b.apply_databricks(&obj);
            b.scan_text(text);
            return b.finish(text, true);
        }
    }
    if let Some(pairs) = redirect_params(text) {
        b.kind = Some(InputKind::RedirectUrl);
        for (k, v) in pairs {
            let v = v.trim().to_owned();
            if v.is_empty() {
                continue;
            }
            match k.as_str() {
                "error" => b.error = b.error.take().or(Some(v)),
                "error_description" => b.description = b.description.take().or(Some(v)),
                "error_uri" => b.error_uri = b.error_uri.take().or(Some(v)),
                "error_subcode" | "suberror" => b.suberror = b.suberror.take().or(Some(v)),
                "error_codes" => {
                    b.codes.extend(
                        v.split([',', ' '])
                            .filter_map(|c| scan::parse_code_digits(c.trim())),
                    );
                }
                "trace_id" => b.trace_id = b.trace_id.take().or(Some(v)),
                "correlation_id" => b.correlation_id = b.correlation_id.take().or(Some(v)),
                "timestamp" => b.timestamp = b.timestamp.take().or(Some(v)),
                "claims" => b.claims = b.claims.take().or(Some(v)),
                _ => {}
            }
        }
        let desc = b.description.clone().unwrap_or_default();
        b.scan_text(&desc);
        return b.finish(text, true);
    }
    // Free text: a message, an exception, or a Databricks answer.
    b.library = library(text);
    if let Some(obj) = embedded_object(text) {
        if has_any(&obj, &OAUTH_KEYS) {
            b.apply_oauth(&obj);
        } else {
            b.apply_databricks(&obj);
            b.databricks_body = true;
        }
    }
    b.scan_text(text);
    if b.error.is_none() {
        b.error = scan::oauth_error_word(text).map(str::to_owned);
    }
    b.kind = Some(if b.library.is_some() {
        InputKind::LibraryException
    } else if b.databricks_body || (b.codes.is_empty() && b.error.is_none()) {
        InputKind::DatabricksResponse
    } else {
        InputKind::Message
    });
    b.finish(text, true)
}

/// Explains a refused request to Databricks' OAuth endpoints: the HTTP
/// `status` (if any), the answer `body` and the `url` asked (the workspace's
/// or account's `/oidc/v1/token`, `/oidc/accounts/<id>/v1/token`, …). Never
/// fails: an answer that says nothing known still gets a finding, and one
/// that is not Databricks' (an HTML page, a 404) says the host does not
/// serve Databricks OAuth.
pub fn parse_databricks_token_answer(status: Option<u16>, body: &str, url: &str) -> ErrorReport {
    let host = url
        .split_once("://")
        .map(|(scheme, rest)| {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            format!("{scheme}://{authority}")
        })
        .filter(|h| h.len() <= 300);
    let mut report = parse(body).unwrap_or_else(|_| ErrorReport {
        kind: InputKind::DatabricksTokenEndpoint,
        library: None,
        http_status: None,
        codes: Vec::new(),
        error: None,
        suberror: None,
        description: (!body.trim().is_empty()).then(|| entra_token::text::clip(body.trim(), 500)),
        trace_id: None,
        correlation_id: None,
        timestamp: None,
        error_uri: None,
        claims: None,
        hints: Hints::default(),
        databricks: Vec::new(),
        chain: None,
        entries: Vec::new(),
    });
    if report.codes.is_empty() {
        report.kind = InputKind::DatabricksTokenEndpoint;
    }
    if status.is_some() {
        report.http_status = status;
    }
    let mut found = databricks::token_endpoint(body, report.error.as_deref(), host.as_deref());
    if found.is_empty() && report.codes.is_empty() {
        let looks_foreign = matches!(status, Some(404 | 405)) || body.trim_start().starts_with('<');
        let text = if looks_foreign {
            "OAuth is not supported for this host".to_owned()
        } else {
            String::new()
        };
        found = databricks::token_endpoint(&text, None, host.as_deref());
        if found.is_empty() {
            let said = report
                .error
                .clone()
                .unwrap_or_else(|| "an error".to_owned());
            found.push(DatabricksFinding {
                problem: DatabricksProblem::OAuthRefused,
                claim: None,
                expected: None,
                found: None,
                cause: format!(
                    "The Databricks token endpoint {} refused the request with {said}{}.",
                    entra_token::text::clip(url, 200),
                    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
                ),
                fix: "Read the answer's error_description; check the host, the client ID and secret, and the grant sent.".into(),
            });
        }
    }
    // The token endpoint's findings replace the generic ones.
    report.databricks.retain(|f| {
        !f.problem.is_token_endpoint()
            && !matches!(
                f.problem,
                DatabricksProblem::Unauthorized | DatabricksProblem::Forbidden
            )
    });
    report.databricks.extend(found);
    report
}

/// `AADSTS65001`, `aadsts65001:`, `65001`, possibly quoted.
fn bare_code(text: &str) -> Option<u32> {
    let t = text
        .trim_matches(|c: char| c == '"' || c == '\'' || c == '`')
        .trim();
    let t = t.strip_suffix(':').unwrap_or(t).trim();
    let digits = match t.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("AADSTS") => &t[6..],
        _ => t,
    };
    scan::parse_code_digits(digits)
}

/// The whole input as one object: strict JSON first (`true`), then a
/// Python-literal repr (`false`).
fn whole_object(text: &str) -> Option<(Map<String, Value>, bool)> {
    if !text.starts_with('{') || json_depth_exceeds(text.as_bytes(), MAX_JSON_DEPTH) {
        return None;
    }
    if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(text) {
        return Some((m, true));
    }
    match lenient::value_complete(text, MAX_JSON_DEPTH) {
        Some(Value::Object(m)) => Some((m, false)),
        _ => None,
    }
}

/// The first `{…}` inside free text that reads as an OAuth error or a
/// Databricks error object (JSON or Python repr).
fn embedded_object(text: &str) -> Option<Map<String, Value>> {
    let mut from = 0;
    let mut tries = 0;
    while let Some(rel) = text.get(from..).and_then(|t| t.find('{')) {
        let at = from + rel;
        from = at + 1;
        tries += 1;
        if tries > 64 {
            break;
        }
        if let Some((Value::Object(m), _)) = lenient::value_prefix(&text[at..], MAX_JSON_DEPTH) {
            if has_any(&m, &OAUTH_KEYS)
                || (m.contains_key("error_code") && m.contains_key("message"))
            {
                return Some(m);
            }
        }
    }
    None
}

fn has_any(m: &Map<String, Value>, keys: &[&str]) -> bool {
    keys.iter().any(|k| m.contains_key(*k))
}

/// The query and fragment parameters of a redirect URL (or a bare query
/// string) when they carry `error=`.
fn redirect_params(text: &str) -> Option<Vec<(String, String)>> {
    if text.contains(char::is_whitespace) && !text.starts_with("http") {
        return None;
    }
    let t = text.split_whitespace().next()?;
    let looks_like_url =
        t.contains("://") || t.starts_with('?') || t.starts_with('#') || t.starts_with("error=");
    if !looks_like_url || !t.contains("error=") {
        return None;
    }
    let mut pairs = Vec::new();
    let (before_fragment, fragment) = t.split_once('#').unwrap_or((t, ""));
    let query = if t.starts_with("error=") {
        before_fragment
    } else {
        before_fragment.split_once('?').map_or("", |(_, q)| q)
    };
    pairs.extend(scan::form_pairs(query));
    pairs.extend(scan::form_pairs(fragment));
    pairs.iter().any(|(k, _)| k == "error").then_some(pairs)
}

/// Which library's exception this is, from the names it prints.
fn library(text: &str) -> Option<&'static str> {
    const MARKERS: &[(&str, &str)] = &[
        ("ClientAuthenticationError", "azure-identity"),
        ("CredentialUnavailableError", "azure-identity"),
        ("AuthenticationRequiredError", "azure-identity"),
        ("azure.identity", "azure-identity"),
        ("Azure.Identity", "azure-identity"),
        ("@azure/identity", "azure-identity"),
        ("com.azure.identity", "azure-identity"),
        ("AuthenticationFailedException", "azure-identity"),
        ("DefaultAzureCredential", "azure-identity"),
        ("ChainedTokenCredential", "azure-identity"),
        ("ManagedIdentityCredential", "azure-identity"),
        ("WorkloadIdentityCredential", "azure-identity"),
        ("EnvironmentCredential", "azure-identity"),
        ("AzureCliCredential", "azure-identity"),
        ("AzureCLICredential", "azure-identity"),
        ("ClientSecretCredential", "azure-identity"),
        ("msal4j", "MSAL Java"),
        ("Microsoft.Identity.Client", "MSAL .NET"),
        ("MsalUiRequiredException", "MSAL .NET"),
        ("MsalServiceException", "MSAL .NET"),
        ("MsalClientException", "MSAL .NET"),
        ("MsalException", "MSAL .NET"),
        ("@azure/msal", "MSAL.js"),
        ("InteractionRequiredAuthError", "MSAL.js"),
        ("BrowserAuthError", "MSAL.js"),
        ("ServerError:", "MSAL.js"),
        ("msal.", "MSAL Python"),
        ("databricks.sdk", "Databricks SDK"),
        ("default auth:", "Databricks SDK"),
        (
            "more than one authorization method configured",
            "Databricks SDK",
        ),
    ];
    MARKERS
        .iter()
        .find(|(m, _)| text.contains(m))
        .map(|(_, lib)| *lib)
}

fn string_field(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(_) | Value::Array(_) => m.get(key).map(Value::to_string),
        _ => None,
    }
}

#[derive(Default)]
struct Builder {
    kind: Option<InputKind>,
    library: Option<&'static str>,
    http_status: Option<u16>,
    codes: Vec<u32>,
    error: Option<String>,
    suberror: Option<String>,
    description: Option<String>,
    trace_id: Option<String>,
    correlation_id: Option<String>,
    timestamp: Option<String>,
    error_uri: Option<String>,
    claims: Option<String>,
    databricks_body: bool,
}

impl Builder {
    fn apply_oauth(&mut self, m: &Map<String, Value>) {
        match m.get("error") {
            // ARM-style {"error": {"code": …, "message": …}}.
            Some(Value::Object(inner)) => {
                self.error = string_field(inner, "code");
                self.description = string_field(inner, "message");
            }
            _ => self.error = string_field(m, "error"),
        }
        if let Some(d) = string_field(m, "error_description") {
            self.description = Some(d);
        }
        if let Some(Value::Array(codes)) = m.get("error_codes") {
            for c in codes {
                let code = match c {
                    Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                    Value::String(s) => {
                        scan::parse_code_digits(s.trim().trim_start_matches("AADSTS"))
                    }
                    _ => None,
                };
                if let Some(code) = code.filter(|c| !self.codes.contains(c)) {
                    self.codes.push(code);
                }
            }
        }
        self.trace_id = string_field(m, "trace_id");
        self.correlation_id = string_field(m, "correlation_id");
        self.timestamp = string_field(m, "timestamp");
        self.error_uri = string_field(m, "error_uri");
        self.suberror = string_field(m, "suberror");
        self.claims = string_field(m, "claims");
    }

    fn apply_databricks(&mut self, m: &Map<String, Value>) {
        self.error = string_field(m, "error_code");
        self.description = string_field(m, "message");
        if let Some(status) = self.error.as_deref().and_then(|e| e.parse::<u16>().ok()) {
            self.http_status = Some(status);
        }
        if self.error.as_deref() == Some("PERMISSION_DENIED") {
            self.http_status.get_or_insert(403);
        }
    }

    /// Fills what is still missing from free text.
    fn scan_text(&mut self, text: &str) {
        let (codes, first) = scan::aadsts_codes(text);
        for c in codes {
            if !self.codes.contains(&c) {
                self.codes.push(c);
            }
        }
        if self.description.is_none() {
            if let Some(at) = first {
                self.description = Some(scan::message_at(text, at));
            }
        }
        let desc = self.description.clone().unwrap_or_default();
        for source in [desc.as_str(), text] {
            if self.trace_id.is_none() {
                self.trace_id = scan::trace_id(source);
            }
            if self.correlation_id.is_none() {
                self.correlation_id = scan::correlation_id(source);
            }
            if self.timestamp.is_none() {
                self.timestamp = scan::timestamp(source);
            }
        }
    }

    fn finish(
        mut self,
        text: &str,
        look_for_databricks: bool,
    ) -> Result<ErrorReport, ExplainError> {
        let mut dbx = Vec::new();
        let mut chain = None;
        if look_for_databricks {
            chain = chains::scan(text);
            if let Some(c) = &chain {
                if self.library.is_none() {
                    self.library = if c.name.starts_with("Databricks") {
                        Some("Databricks SDK")
                    } else if c.name != "managed identity endpoint" {
                        Some("azure-identity")
                    } else {
                        None
                    };
                }
                if self.kind == Some(InputKind::DatabricksResponse) {
                    self.kind = Some(if self.library.is_some() {
                        InputKind::LibraryException
                    } else {
                        InputKind::Message
                    });
                }
            }
            if self.http_status.is_none() {
                self.http_status = databricks::http_status(text);
            }
            dbx = databricks::scan(text, self.http_status);
            if (self.kind != Some(InputKind::DatabricksResponse) && !self.codes.is_empty())
                || chain.is_some()
            {
                // A bare status inside an Entra error is not a Databricks verdict.
                dbx.retain(|f| {
                    !matches!(
                        f.problem,
                        DatabricksProblem::Unauthorized | DatabricksProblem::Forbidden
                    )
                });
            }
        }
        if self.codes.is_empty()
            && self.kind == Some(InputKind::TokenEndpointJson)
            && dbx.iter().any(|f| f.problem.is_token_endpoint())
        {
            self.kind = Some(InputKind::DatabricksTokenEndpoint);
        }
        if self.codes.is_empty() && self.error.is_none() && dbx.is_empty() && chain.is_none() {
            return Err(ExplainError::NotRecognised);
        }
        let hints = hints(self.description.as_deref().unwrap_or(text));
        let entries = self
            .codes
            .iter()
            .map(|&c| entry(c, self.error.as_deref()))
            .collect();
        Ok(ErrorReport {
            kind: self.kind.unwrap_or(InputKind::Message),
            library: self.library,
            http_status: self.http_status,
            codes: self.codes,
            error: self.error,
            suberror: self.suberror,
            description: self.description.map(|d| entra_token::text::clip(&d, 4000)),
            trace_id: self.trace_id,
            correlation_id: self.correlation_id,
            timestamp: self.timestamp,
            error_uri: self.error_uri,
            claims: self.claims,
            hints,
            databricks: dbx,
            chain,
            entries,
        })
    }
}

/// The catalogue entry for `code`, or general guidance with Microsoft's
/// look-up page.
pub(crate) fn entry(code: u32, error: Option<&str>) -> CodeEntry {
    match aadsts::lookup(code) {
        Some(c) => CodeEntry {
            code,
            known: true,
            name: Some(c.name),
            cause: c.cause.to_owned(),
            fix: c.fix.to_owned(),
            lookup_url: lookup_url(code),
        },
        None => {
            let mut cause = format!("AADSTS{code} is not in entra-doctor's catalogue.");
            if let Some((what, _)) = error.and_then(super::advise::oauth_guidance) {
                cause.push_str(&format!(" Its OAuth error says: {what}"));
            }
            CodeEntry {
                code,
                known: false,
                name: None,
                cause,
                fix: format!(
                    "Read the whole error description: it usually names the application, tenant or parameter at fault. Open {} for Microsoft's current text, and have an administrator look the sign-in up in the Entra admin center (Monitoring & health > Sign-in logs) by its correlation ID.",
                    lookup_url(code)
                ),
                lookup_url: lookup_url(code),
            }
        }
    }
}

/// Details that Entra writes into its descriptions.
fn hints(desc: &str) -> Hints {
    let guid = |v: Option<String>| v.filter(|v| scan::is_guid(v));
    let client_id = guid(scan::value_after(desc, "application with identifier "))
        .or_else(|| guid(scan::value_after(desc, "application with id ")))
        .or_else(|| guid(scan::value_after(desc, "added to app ")))
        .or_else(|| guid(scan::value_after(desc, "the application ")))
        .or_else(|| guid(scan::value_after(desc, "application ")))
        .or_else(|| guid(scan::value_after(desc, "client app id: ")))
        .or_else(|| guid(scan::value_after(desc, "app id ")))
        .or_else(|| guid(scan::value_after(desc, "on app ")));
    let tenant = scan::value_after(desc, "in the tenant named ")
        .or_else(|| scan::value_after(desc, "tenant named "))
        .or_else(|| scan::value_after(desc, "in the directory "))
        .or_else(|| scan::value_after(desc, "in directory "))
        .or_else(|| scan::value_after(desc, "in tenant "))
        .or_else(|| {
            // AADSTS90002: "Tenant 'contoso.example' not found."
            find_ci(desc, "not found", 0).and_then(|_| scan::value_after(desc, "tenant "))
        })
        .filter(|t| {
            t.len() <= 255 && !t.contains(char::is_whitespace) && !t.eq_ignore_ascii_case("named")
        });
    let redirect_uri = scan::value_after(desc, "redirect URI ")
        .or_else(|| scan::value_after(desc, "reply address "))
        .or_else(|| scan::value_after(desc, "redirect_uri "))
        .filter(|u| u.contains(':'));
    let resource = if contains_ci(desc, "resource principal named ") {
        scan::value_after(desc, "resource principal named ")
    } else {
        scan::value_after(desc, "resource value from request: ")
    };
    let assertion = |labelled: &str, presented: &str| {
        scan::value_after(desc, labelled).or_else(|| scan::value_after(desc, presented))
    };
    Hints {
        redirect_uri,
        client_id,
        tenant,
        resource,
        assertion_issuer: assertion("assertion issuer:", "presented assertion issuer "),
        assertion_subject: assertion("assertion subject:", "presented assertion subject "),
        assertion_audience: assertion("assertion audience:", "presented assertion audience "),
        assertion_expires: scan::value_after(desc, "expiry time of assertion "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "5a3e1c90-6b1f-4a53-9f0e-2c7d8e9f0a11";
    const CORR: &str = "c0ffee00-1234-4abc-8def-0123456789ab";

    #[test]
    fn bare_codes() {
        for t in ["AADSTS65001", "65001", "  aadsts65001: ", "'AADSTS65001'"] {
            let r = parse(t).unwrap();
            assert_eq!(r.kind, InputKind::BareCode, "{t}");
            assert_eq!(r.codes, vec![65001]);
            assert!(r.entries[0].known);
            assert!(r.entries[0].fix.contains("user_impersonation"));
        }
    }

    #[test]
    fn message_with_code() {
        let t = format!("Sorry, but we're having trouble signing you in.\nAADSTS50011: The redirect URI 'http://localhost:8020' specified in the request does not match the redirect URIs configured for the application '0d0c1e2a-1111-4222-8333-444455556666'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.\nRequest Id: {TRACE}\nCorrelation Id: {CORR}\nTimestamp: 2025-02-03T04:05:06Z");
        let r = parse(&t).unwrap();
        assert_eq!(r.kind, InputKind::Message);
        assert_eq!(r.codes, vec![50011]);
        assert!(r
            .description
            .as_deref()
            .unwrap()
            .starts_with("AADSTS50011: The redirect URI"));
        assert_eq!(r.trace_id.as_deref(), Some(TRACE));
        assert_eq!(r.correlation_id.as_deref(), Some(CORR));
        assert_eq!(r.timestamp.as_deref(), Some("2025-02-03T04:05:06Z"));
        assert_eq!(
            r.hints.redirect_uri.as_deref(),
            Some("http://localhost:8020")
        );
        assert_eq!(
            r.hints.client_id.as_deref(),
            Some("0d0c1e2a-1111-4222-8333-444455556666")
        );
    }

    #[test]
    fn token_endpoint_json() {
        let body = format!(
            r#"{{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '0d0c1e2a-1111-4222-8333-444455556666'.\r\nTrace ID: {TRACE}\r\nCorrelation ID: {CORR}\r\nTimestamp: 2025-02-03 04:05:06Z","error_codes":[7000215],"timestamp":"2025-02-03 04:05:06Z","trace_id":"{TRACE}","correlation_id":"{CORR}","error_uri":"https://login.microsoftonline.com/error?code=7000215"}}"#
        );
        let r = parse(&body).unwrap();
        assert_eq!(r.kind, InputKind::TokenEndpointJson);
        assert_eq!(r.error.as_deref(), Some("invalid_client"));
        assert_eq!(r.codes, vec![7000215]);
        assert_eq!(r.trace_id.as_deref(), Some(TRACE));
        assert_eq!(r.timestamp.as_deref(), Some("2025-02-03 04:05:06Z"));
        assert_eq!(
            r.error_uri.as_deref(),
            Some("https://login.microsoftonline.com/error?code=7000215")
        );
        assert!(r.databricks.is_empty());
        assert!(r.entries[0].cause.contains("Secret ID"));
    }

    #[test]
    fn token_endpoint_json_with_suberror_and_claims() {
        let body = r#"{"error":"interaction_required","error_description":"AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d'.","error_codes":[50076],"suberror":"basic_action","claims":"{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"abc\"]}}}"}"#;
        let r = parse(body).unwrap();
        assert_eq!(r.codes, vec![50076]);
        assert_eq!(r.suberror.as_deref(), Some("basic_action"));
        assert!(r.claims.as_deref().unwrap().contains("capolids"));
    }

    #[test]
    fn msal_python_dict_repr() {
        let t = format!(
            "{{'error': 'invalid_grant', 'error_description': \"AADSTS50126: Error validating credentials due to invalid username or password. Trace ID: {TRACE} Correlation ID: {CORR} Timestamp: 2025-02-03 04:05:06Z\", 'error_codes': [50126], 'timestamp': '2025-02-03 04:05:06Z', 'trace_id': '{TRACE}', 'correlation_id': '{CORR}', 'error_uri': 'https://login.microsoftonline.com/error?code=50126', 'classification': None}}"
        );
        let r = parse(&t).unwrap();
        assert_eq!(r.kind, InputKind::LibraryException);
        assert_eq!(r.library, Some("MSAL Python"));
        assert_eq!(r.error.as_deref(), Some("invalid_grant"));
        assert_eq!(r.codes, vec![50126]);
        assert_eq!(r.correlation_id.as_deref(), Some(CORR));
    }

    #[test]
    fn library_exceptions() {
        let cases: &[(&str, &str, u32, Option<&str>)] = &[
            (
                "Microsoft.Identity.Client.MsalUiRequiredException: AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d'. Trace ID: 5a3e1c90-6b1f-4a53-9f0e-2c7d8e9f0a11 Correlation ID: c0ffee00-1234-4abc-8def-0123456789ab Timestamp: 2025-02-03 04:05:06Z\n   at Microsoft.Identity.Client.Internal.Requests.RequestBase.HandleTokenRefreshErrorAsync()\n   ErrorCode: invalid_grant\n   StatusCode: 400",
                "MSAL .NET",
                50076,
                Some("invalid_grant"),
            ),
            (
                "azure.core.exceptions.ClientAuthenticationError: Authentication failed: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '0d0c1e2a-1111-4222-8333-444455556666'.",
                "azure-identity",
                7000215,
                None,
            ),
            (
                "com.microsoft.aad.msal4j.MsalServiceException: AADSTS700016: Application with identifier '0d0c1e2a-1111-4222-8333-444455556666' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant.",
                "MSAL Java",
                700016,
                None,
            ),
            (
                "InteractionRequiredAuthError: interaction_required: AADSTS65001: The user or administrator has not consented to use the application with ID '0d0c1e2a-1111-4222-8333-444455556666' named 'dbx-tool'. Send an interactive authorization request for this user and resource.",
                "MSAL.js",
                65001,
                Some("interaction_required"),
            ),
            (
                "msal.exceptions.MsalServiceError: AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                "MSAL Python",
                7000218,
                None,
            ),
        ];
        for (text, lib, code, error) in cases {
            let r = parse(text).unwrap();
            assert_eq!(r.kind, InputKind::LibraryException, "{text}");
            assert_eq!(r.library, Some(*lib), "{text}");
            assert_eq!(r.codes, vec![*code]);
            assert_eq!(r.error.as_deref(), *error, "{text}");
        }
        let js = parse(cases[3].0).unwrap();
        assert_eq!(
            js.hints.client_id.as_deref(),
            Some("0d0c1e2a-1111-4222-8333-444455556666")
        );
        let java = parse(cases[2].0).unwrap();
        assert_eq!(
            java.hints.client_id.as_deref(),
            Some("0d0c1e2a-1111-4222-8333-444455556666")
        );
        assert_eq!(java.hints.tenant.as_deref(), Some("Contoso"));
    }

    #[test]
    fn exception_with_embedded_body() {
        let t = format!(
            "ValueError: token request failed: {{'error': 'invalid_scope', 'error_description': 'AADSTS70011: The provided request must include a \\'scope\\' input parameter.', 'error_codes': [70011], 'trace_id': '{TRACE}'}} while calling msal.acquire_token_for_client"
        );
        let r = parse(&t).unwrap();
        assert_eq!(r.kind, InputKind::LibraryException);
        assert_eq!(r.error.as_deref(), Some("invalid_scope"));
        assert_eq!(r.codes, vec![70011]);
        assert_eq!(r.trace_id.as_deref(), Some(TRACE));
        assert!(r.description.unwrap().contains("'scope'"));
    }

    #[test]
    fn several_codes_keep_order() {
        let t = "DefaultAzureCredential failed to retrieve a token from the included credentials.\nEnvironmentCredential: AADSTS7000222: The provided client secret keys for app are expired.\nAzureCliCredential: ERROR: AADSTS700082: The refresh token has expired due to inactivity.";
        let r = parse(t).unwrap();
        assert_eq!(r.codes, vec![7000222, 700082]);
        assert_eq!(r.library, Some("azure-identity"));
        assert_eq!(r.entries.len(), 2);
    }

    #[test]
    fn redirect_urls() {
        let q = "http://localhost:8020/?error=access_denied&error_subcode=cancel&error_description=AADSTS65004%3a+User+declined+to+consent+to+access+the+app.%0d%0aTrace+ID%3a+5a3e1c90-6b1f-4a53-9f0e-2c7d8e9f0a11%0d%0aCorrelation+ID%3a+c0ffee00-1234-4abc-8def-0123456789ab%0d%0aTimestamp%3a+2025-02-03+04%3a05%3a06Z&state=xyz";
        let r = parse(q).unwrap();
        assert_eq!(r.kind, InputKind::RedirectUrl);
        assert_eq!(r.error.as_deref(), Some("access_denied"));
        assert_eq!(r.suberror.as_deref(), Some("cancel"));
        assert_eq!(r.codes, vec![65004]);
        assert!(r
            .description
            .as_deref()
            .unwrap()
            .starts_with("AADSTS65004: User declined to consent"));
        assert_eq!(r.trace_id.as_deref(), Some(TRACE));
        assert_eq!(r.correlation_id.as_deref(), Some(CORR));
        assert_eq!(r.timestamp.as_deref(), Some("2025-02-03 04:05:06Z"));

        let f = "https://app.example.com/auth#error=interaction_required&error_description=AADSTS50058%3A%20A%20silent%20sign-in%20request%20was%20sent%20but%20no%20user%20is%20signed%20in.&state=abc";
        let r = parse(f).unwrap();
        assert_eq!(r.kind, InputKind::RedirectUrl);
        assert_eq!(r.codes, vec![50058]);
        assert_eq!(r.error.as_deref(), Some("interaction_required"));

        let bare = parse("?error=invalid_request&error_description=AADSTS900144%3a+The+request+body+must+contain+the+following+parameter%3a+%27client_id%27.").unwrap();
        assert_eq!(bare.codes, vec![900144]);
        // Without a code, the OAuth error alone is enough.
        let plain = parse("https://app.example.com/cb?error=access_denied&state=1").unwrap();
        assert!(plain.codes.is_empty());
        assert_eq!(plain.error.as_deref(), Some("access_denied"));
    }

    #[test]
    fn databricks_answers() {
        let body = r#"{"error_code":"401","message":"io.jsonwebtoken.IncorrectClaimException: Expected aud claim to be: 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, but was: https://management.core.windows.net/."}"#;
        let r = parse(body).unwrap();
        assert_eq!(r.kind, InputKind::DatabricksResponse);
        assert_eq!(r.http_status, Some(401));
        assert_eq!(r.databricks.len(), 1);
        assert_eq!(
            r.databricks[0].problem,
            super::super::DatabricksProblem::WrongAudience
        );
        assert!(r.codes.is_empty());

        let html = "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n<title>Error 403 Invalid access token.</title>\n</head>\n<body><h2>HTTP ERROR 403</h2>\n<p>Problem accessing /api/2.0/clusters/list. Reason:\n<pre>    Invalid access token.</pre></p>\n</body>\n</html>";
        let r = parse(html).unwrap();
        assert_eq!(r.kind, InputKind::DatabricksResponse);
        assert_eq!(r.http_status, Some(403));
        assert_eq!(
            r.databricks[0].problem,
            super::super::DatabricksProblem::InvalidToken
        );

        let r = parse("Error: 403 Forbidden").unwrap();
        assert_eq!(
            r.databricks[0].problem,
            super::super::DatabricksProblem::Forbidden
        );
        let r = parse(r#"{"error_code":"PERMISSION_DENIED","message":"User does not have permission 'Can Attach To' on cluster."}"#).unwrap();
        assert_eq!(r.http_status, Some(403));
        assert_eq!(
            r.databricks[0].problem,
            super::super::DatabricksProblem::Forbidden
        );
    }

    #[test]
    fn hints_from_descriptions() {
        let r = parse("AADSTS500011: The resource principal named https://adb-1234567890123456.7.azuredatabricks.net was not found in the tenant named Contoso Ltd. This can happen if the application has not been installed by the administrator of the tenant.").unwrap();
        assert_eq!(
            r.hints.resource.as_deref(),
            Some("https://adb-1234567890123456.7.azuredatabricks.net")
        );
        let r = parse("AADSTS90002: Tenant 'contoso.example' not found. Check to make sure you have the correct tenant ID.").unwrap();
        assert_eq!(r.hints.tenant.as_deref(), Some("contoso.example"));
        let r = parse("AADSTS500011: The resource principal named 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d was not found in the tenant named aaaaaaaa-1111-4111-8111-111111111111.").unwrap();
        assert_eq!(
            r.hints.tenant.as_deref(),
            Some("aaaaaaaa-1111-4111-8111-111111111111")
        );
    }

    #[test]
    fn unknown_codes_get_general_guidance() {
        let r = parse(r#"{"error":"invalid_grant","error_description":"AADSTS9999999: Something new.","error_codes":[9999999]}"#).unwrap();
        let e = &r.entries[0];
        assert!(!e.known && e.name.is_none());
        assert_eq!(
            e.lookup_url,
            "https://login.microsoftonline.com/error?code=9999999"
        );
        assert!(e.fix.contains(&e.lookup_url));
        assert!(e.cause.contains("not in entra-doctor's catalogue"));
    }

    #[test]
    fn oversized_empty_and_garbage_input() {
        let big = "A".repeat(MAX_INPUT_BYTES + 1);
        assert_eq!(
            parse(&big),
            Err(ExplainError::TooLarge {
                len: MAX_INPUT_BYTES + 1,
                max: MAX_INPUT_BYTES
            })
        );
        assert_eq!(parse(" \n\t "), Err(ExplainError::Empty));
        assert_eq!(parse("\u{feff}"), Err(ExplainError::Empty));
        for garbage in [
            "hello world",
            "{not json",
            "{}",
            "[1,2,3]",
            "AADSTS",
            "AADSTS99999999999",
            "{'a': [1, {'b': (2,)}]}",
            "\u{0}\u{1}\u{7f}����",
            "https://example.com/?foo=bar",
            "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
            "error=",
        ] {
            assert_eq!(
                parse(garbage),
                Err(ExplainError::NotRecognised),
                "{garbage:?}"
            );
        }
        // Deeply nested JSON is refused without recursion trouble.
        let deep = format!("{}AADSTS50126{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(parse(&deep).unwrap().codes, vec![50126]);
        let deep_obj = "{\"a\":".repeat(10_000);
        assert_eq!(parse(&deep_obj), Err(ExplainError::NotRecognised));
    }

    #[test]
    fn never_panics_on_shuffled_fragments() {
        // A fixed pseudo-random mix of the pieces the parsers react to.
        const PIECES: [&str; 28] = [
            "AADSTS",
            "50011",
            ":",
            "{",
            "}",
            "[",
            "]",
            "(",
            ")",
            "'",
            "\"",
            "\\",
            "\\u",
            "d83d",
            "error=",
            "&",
            "?",
            "#",
            "%",
            "%4",
            "+",
            "http://",
            "Expected aud claim to be: ",
            ", but was: ",
            "Trace ID: ",
            "é",
            "\n",
            "Timestamp: 2",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let n = (seed % 24) as usize;
            for i in 0..n {
                let pick = ((seed >> (i % 48)) as usize).wrapping_add(i * 7) % PIECES.len();
                text.push_str(PIECES[pick]);
            }
            let _ = parse(&text);
        }
    }

    #[test]
    fn never_panics_on_cut_inputs() {
        let samples = [
            "{'error': 'invalid_grant', 'error_description': 'AADSTS50126: bad', 'error_codes': [50126]}",
            "https://x.example/cb?error=access_denied&error_description=AADSTS65004%3a+no%E2%82",
            r#"{"error_code":"401","message":"Expected iss claim to be: https://sts.windows.net/a/, but was: https://sts.windows.net/b/."}"#,
            "MsalUiRequiredException: AADSTS50076: é Trace ID: 5a3e1c90",
        ];
        for s in samples {
            for end in (0..=s.len()).filter(|&i| s.is_char_boundary(i)) {
                let _ = parse(&s[..end]);
            }
        }
    }
}

//! Managed identity: a token from the endpoint Azure gives a VM, an App
//! Service or Functions app, found the way azure-identity's
//! ManagedIdentityCredential finds it:
//!
//! 1. `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`: App Service / Functions
//!    (api-version 2019-08-01, header `X-IDENTITY-HEADER`);
//! 2. `IDENTITY_ENDPOINT` + `IMDS_ENDPOINT` (Azure Arc), `MSI_ENDPOINT`
//!    (Cloud Shell, Azure ML), `IDENTITY_SERVER_THUMBPRINT` (Service
//!    Fabric): recognised and refused with a clear message (not supported);
//! 3. `AZURE_FEDERATED_TOKEN_FILE` (AKS workload identity): the federated
//!    flow with that file ([`super::federated`]);
//! 4. else IMDS, at `--imds-endpoint`, `AZURE_POD_IDENTITY_AUTHORITY_HOST`,
//!    or `http://169.254.169.254` (header `Metadata: true`, api-version
//!    2018-02-01).
//!
//! Nothing here runs unless the caller chose managed identity. The
//! connection is bounded by [`PROBE_CONNECT`]: off Azure the answer is "no
//! managed identity endpoint" within about a second, never a hang.

use std::time::Duration;

use serde_json::{Map, Value};

use super::secret::Secret;
use super::{FlowError, Target, TokenResponse, MAX_BODY};
use crate::net::databrickscfg::Env;

/// The address of the Azure Instance Metadata Service.
pub const IMDS_DEFAULT: &str = "http://169.254.169.254";
/// The token path of IMDS.
pub const IMDS_PATH: &str = "/metadata/identity/oauth2/token";
/// The api-version azure-identity sends to IMDS.
pub const IMDS_API_VERSION: &str = "2018-02-01";
/// The api-version of the App Service / Functions endpoint.
pub const APP_SERVICE_API_VERSION: &str = "2019-08-01";
/// Bound on connecting to a managed identity endpoint (azure-identity's
/// IMDS probe waits about as long).
pub const PROBE_CONNECT: Duration = Duration::from_secs(1);

/// Which identity of the resource is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The system-assigned identity (or the only user-assigned one).
    Default,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

impl Identity {
    /// The query parameter for `source` and its value.
    fn param(&self, app_service: bool) -> Option<(&'static str, &str)> {
        match self {
            Identity::Default => None,
            Identity::ClientId(c) => Some(("client_id", c)),
            Identity::ObjectId(o) => Some(("object_id", o)),
            Identity::ResourceId(r) if app_service => Some(("mi_res_id", r)),
            Identity::ResourceId(r) => Some(("msi_res_id", r)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Identity::Default => "the system-assigned identity (none named)".into(),
            Identity::ClientId(c) => format!("the identity with client ID {c}"),
            Identity::ObjectId(o) => format!("the identity with object ID {o}"),
            Identity::ResourceId(r) => format!("the identity {r}"),
        }
    }
}

/// Where the managed identity token comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// IMDS at `base` (scheme and host, no path); `from` names the setting.
    Imds { base: String, from: String },
    /// App Service / Functions.
    AppService { endpoint: String, header: Secret },
    /// AKS workload identity: the federated flow with this token file.
    WorkloadIdentity { token_file: String },
}

impl Source {
    pub fn label(&self) -> String {
        match self {
            Source::Imds { base, from } => format!("IMDS at {base} ({from})"),
            Source::AppService { endpoint, .. } => {
                format!("the App Service endpoint {endpoint} (IDENTITY_ENDPOINT)")
            }
            Source::WorkloadIdentity { token_file } => {
                format!("AKS workload identity (AZURE_FEDERATED_TOKEN_FILE {token_file})")
            }
        }
    }
}

/// Finds the endpoint as azure-identity does. `imds_flag` is `--imds-endpoint`:
/// given, it wins (IMDS there, whatever the variables say).
pub fn detect(env: &dyn Env, imds_flag: Option<&str>) -> Result<Source, String> {
    let var = |n: &str| env.var(n).map(|v| v.trim().to_owned());
    if let Some(endpoint) = var("IDENTITY_ENDPOINT").filter(|_| imds_flag.is_none()) {
        if var("IDENTITY_SERVER_THUMBPRINT").is_some() {
            return Err("IDENTITY_ENDPOINT and IDENTITY_SERVER_THUMBPRINT are set: this is Service Fabric's managed identity, which entra-doctor does not support".into());
        }
        if let Some(header) = var("IDENTITY_HEADER") {
            check_endpoint_url(&endpoint, "IDENTITY_ENDPOINT")?;
            return Ok(Source::AppService {
                endpoint,
                header: Secret::new(header),
            });
        }
        if var("IMDS_ENDPOINT").is_some() {
            return Err("IDENTITY_ENDPOINT and IMDS_ENDPOINT are set: this is Azure Arc's managed identity (a challenge with a local key file), which entra-doctor does not support; run `azcmagent show` to check the agent, or use azure-identity".into());
        }
        return Err("IDENTITY_ENDPOINT is set but IDENTITY_HEADER is not: App Service and Functions set both; set IDENTITY_HEADER too (or unset IDENTITY_ENDPOINT to use IMDS)".into());
    }
    if var("MSI_ENDPOINT").is_some() && imds_flag.is_none() {
        return Err(if var("MSI_SECRET").is_some() {
            "MSI_ENDPOINT and MSI_SECRET are set: this is Azure Machine Learning's managed identity, which entra-doctor does not support".into()
        } else {
            "MSI_ENDPOINT is set: this is Azure Cloud Shell's managed identity, which entra-doctor does not support; in Cloud Shell use `az account get-access-token` (--flow azure-cli)".into()
        });
    }
    if let Some(token_file) = var("AZURE_FEDERATED_TOKEN_FILE").filter(|_| imds_flag.is_none()) {
        return Ok(Source::WorkloadIdentity { token_file });
    }
    let (base, from) = match (imds_flag, var("AZURE_POD_IDENTITY_AUTHORITY_HOST")) {
        (Some(f), _) => (f.trim().to_owned(), "--imds-endpoint".to_owned()),
        (None, Some(v)) => (v, "AZURE_POD_IDENTITY_AUTHORITY_HOST".to_owned()),
        (None, None) => (IMDS_DEFAULT.to_owned(), "default".to_owned()),
    };
    let base = base.trim_end_matches('/');
    let base = base.strip_suffix(IMDS_PATH).unwrap_or(base).to_owned();
    check_endpoint_url(&base, &from)?;
    Ok(Source::Imds { base, from })
}

fn check_endpoint_url(u: &str, from: &str) -> Result<(), String> {
    let url = url::Url::parse(u).map_err(|e| format!("{from} '{u}' is not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(()),
        _ => Err(format!("{from} '{u}' must be an http(s) URL with a host")),
    }
}

/// A managed identity request.
#[derive(Debug, Clone)]
pub struct MsiRequest {
    pub source: Source,
    pub identity: Identity,
    /// The resource (a scope loses its `/.default`).
    pub resource: String,
}

impl MsiRequest {
    pub fn new(source: Source, identity: Identity, target: &Target) -> MsiRequest {
        MsiRequest {
            source,
            identity,
            resource: target.resource(),
        }
    }

    /// The URL asked, and the headers (the App Service header is a secret:
    /// `headers` carries it, the URL does not).
    fn url(&self) -> Result<String, FlowError> {
        let (base, api, app_service) = match &self.source {
            Source::Imds { base, .. } => (format!("{base}{IMDS_PATH}"), IMDS_API_VERSION, false),
            Source::AppService { endpoint, .. } => {
                (endpoint.clone(), APP_SERVICE_API_VERSION, true)
            }
            Source::WorkloadIdentity { .. } => {
                return Err(FlowError::Failed(
                    "AKS workload identity is the federated flow (--flow federated)".into(),
                ))
            }
        };
        let mut url = url::Url::parse(&base)
            .map_err(|e| FlowError::Failed(format!("managed identity endpoint {base}: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("api-version", api)
                .append_pair("resource", &self.resource);
            if let Some((k, v)) = self.identity.param(app_service) {
                q.append_pair(k, v);
            }
        }
        Ok(url.to_string())
    }
}

/// A GET with headers, the body bounded: status and body. A connection that
/// cannot be made is `Err(Unreachable)`.
pub(crate) async fn get_bounded(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, Vec<u8>), GetError> {
    let mut req = client.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.send().await.map_err(|e| {
        if e.is_connect() {
            GetError::Unreachable(super::chain(&e))
        } else if e.is_timeout() {
            GetError::TimedOut
        } else {
            GetError::Other(super::chain(&e))
        }
    })?;
    let status = r.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = r
        .chunk()
        .await
        .map_err(|e| GetError::Other(super::chain(&e)))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(GetError::Other(format!(
                "the answer is over {MAX_BODY} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

#[derive(Debug)]
pub(crate) enum GetError {
    Unreachable(String),
    /// Connected, but no answer within the overall bound.
    TimedOut,
    Other(String),
}

/// An HTTP client for the managed identity endpoint: connect bounded by
/// [`PROBE_CONNECT`] (or less), no redirects, no proxy (the endpoints are
/// link-local or local).
pub(crate) fn client(connect: Duration, timeout: Duration) -> Result<reqwest::Client, FlowError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(connect.min(PROBE_CONNECT))
        .timeout(timeout)
        .user_agent(concat!("entra-doctor/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FlowError::Failed(format!("cannot build the HTTP client: {e}")))
}

/// Gets a managed identity token. `timeout` bounds the whole request (the
/// connection itself is bounded by [`PROBE_CONNECT`]).
pub async fn get_token(req: &MsiRequest, timeout: Duration) -> Result<TokenResponse, FlowError> {
    let url = req.url()?;
    let client = client(PROBE_CONNECT, timeout)?;
    let header;
    let headers: Vec<(&str, &str)> = match &req.source {
        Source::AppService { header: h, .. } => {
            header = h.clone();
            vec![("X-IDENTITY-HEADER", header.expose())]
        }
        _ => vec![("Metadata", "true")],
    };
    let shown_url = url.split('?').next().unwrap_or(&url).to_owned();
    let (status, body) = match get_bounded(&client, &url, &headers).await {
        Ok(a) => a,
        Err(GetError::Unreachable(e)) => {
            return Err(FlowError::Failed(format!(
                "no managed identity endpoint: nothing answered at {} within {} s ({e}). Not on Azure, or this resource has no managed identity endpoint: on a VM, turn on a system- or user-assigned identity (Identity blade); elsewhere use another flow.",
                req.source.label(),
                PROBE_CONNECT.as_secs()
            )))
        }
        Err(GetError::TimedOut) => {
            return Err(FlowError::Failed(format!(
                "no managed identity endpoint answered: {} accepted the connection but sent no answer within {} s (--timeout). Not an Azure managed identity endpoint, or it is overloaded; check --imds-endpoint / IDENTITY_ENDPOINT.",
                req.source.label(),
                timeout.as_secs()
            )))
        }
        Err(GetError::Other(e)) => {
            return Err(FlowError::Failed(format!("{shown_url}: {e}")));
        }
    };
    let parsed: Option<Map<String, Value>> = serde_json::from_slice(&body).ok();
    match parsed.as_ref().and_then(TokenResponse::from_json) {
        Some(t) if (200..300).contains(&status) => Ok(t),
        _ => Err(FlowError::Refused {
            url: shown_url,
            status: Some(status),
            body: String::from_utf8_lossy(&body).into_owned(),
        }),
    }
}

/// The managed identity flow as one call, for `token` and `auth`: finds the
/// endpoint ([`detect`]; `imds_endpoint` is `--imds-endpoint`), asks it for
/// `target` as `identity`. AKS workload identity (AZURE_FEDERATED_TOKEN_FILE)
/// is the federated flow: that source is an error here, so the caller runs
/// [`super::federated::run`] with that file.
#[allow(dead_code)] // the call `auth`'s azure-msi method makes
pub async fn managed_identity_token(
    env: &dyn Env,
    imds_endpoint: Option<&str>,
    identity: Identity,
    target: &Target,
    timeout: Duration,
) -> Result<TokenResponse, FlowError> {
    let source = detect(env, imds_endpoint).map_err(FlowError::Failed)?;
    get_token(&MsiRequest::new(source, identity, target), timeout).await
}

/// What a managed identity endpoint's refusal means, and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub cause: String,
    pub fix: String,
}

/// The message of an IMDS (`error_description`) or App Service (`message`) answer.
pub fn answer_message(body: &str) -> Option<String> {
    let v: Map<String, Value> = serde_json::from_str(body).ok()?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    s("error_description")
        .or_else(|| s("message"))
        .or_else(|| s("error"))
}

/// Diagnoses the documented refusals of the managed identity endpoints.
pub fn diagnose(body: &str, req: &MsiRequest) -> Option<Diagnosis> {
    let msg = answer_message(body)?;
    let lower = msg.to_ascii_lowercase();
    if lower.contains("multiple user assigned identities") {
        return Some(Diagnosis {
            cause: "this resource has several user-assigned identities and no system-assigned one, and the request named none, so the endpoint cannot choose".into(),
            fix: "name the identity: --client-id <its client ID> (or AZURE_CLIENT_ID, azure_client_id), --object-id, or --msi-res-id <its resource ID>".into(),
        });
    }
    if lower.contains("identity not found") {
        return Some(match &req.identity {
            Identity::Default => Diagnosis {
                cause: "this resource has no managed identity assigned".into(),
                fix: "turn on the system-assigned identity, or assign a user-assigned one and name it with --client-id (Azure portal > the resource > Identity)".into(),
            },
            named => Diagnosis {
                cause: format!(
                    "{} is not assigned to this resource",
                    named.describe()
                ),
                fix: "check the ID (a user-assigned identity's client ID is on its Overview page; it is not its object ID), and assign the identity to this resource (the resource > Identity > User assigned > Add)".into(),
            },
        });
    }
    if lower.contains("aadsts500011") || lower.contains("resource principal named") {
        return Some(Diagnosis {
            cause: format!("the resource '{}' is not known in the identity's tenant (wrong audience)", req.resource),
            fix: format!(
                "ask for the application ID URI or ID of the API (Azure Databricks: {}); a managed identity takes a resource, not a scope",
                super::DATABRICKS_RESOURCE
            ),
        });
    }
    if lower.contains("metadata header") {
        return Some(Diagnosis {
            cause: "the endpoint wants the Metadata: true header".into(),
            fix: "the endpoint is IMDS: check --imds-endpoint / AZURE_POD_IDENTITY_AUTHORITY_HOST names the IMDS address".into(),
        });
    }
    if lower.contains("x-identity-header") {
        return Some(Diagnosis {
            cause: "the App Service endpoint refused the IDENTITY_HEADER value".into(),
            fix: "use the IDENTITY_HEADER of the running app (App Service rotates it; read it inside the app's environment)".into(),
        });
    }
    None
}

/// The "Tenant shouldn't be specified for managed identity account" clash:
/// a managed identity's token comes from its own tenant; a tenant given
/// (`tenant`, from `source`) that is not the token's `tid` says why a check
/// or an SDK fails.
pub fn tenant_clash(tenant: &str, source: &str, tid: Option<&str>) -> Option<String> {
    match tid {
        Some(tid) if tid.eq_ignore_ascii_case(tenant) => None,
        Some(tid) => Some(format!(
            "The tenant {tenant} (from {source}) is not the managed identity's tenant {tid}. A managed identity always gets its tokens from the tenant of its subscription; the tenant cannot be chosen (the SDKs' \"Tenant shouldn't be specified for managed identity account\"). Drop {source} for managed identity, or use a service principal of tenant {tenant}."
        )),
        None => Some(format!(
            "The tenant {tenant} (from {source}) is not sent: a managed identity always gets its tokens from its own tenant (the SDKs' \"Tenant shouldn't be specified for managed identity account\")."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::databrickscfg::test_env::FakeEnv;

    fn env(vars: Vec<(&'static str, String)>) -> FakeEnv {
        FakeEnv {
            vars,
            home: std::env::temp_dir(),
        }
    }

    #[test]
    fn detection_follows_azure_identity_order() {
        let e = env(vec![
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token".into()),
            ("IDENTITY_HEADER", "h".into()),
            ("AZURE_FEDERATED_TOKEN_FILE", "/t".into()),
        ]);
        assert!(matches!(
            detect(&e, None).unwrap(),
            Source::AppService { .. }
        ));
        let e = env(vec![("AZURE_FEDERATED_TOKEN_FILE", "/t".into())]);
        assert!(matches!(
            detect(&e, None).unwrap(),
            Source::WorkloadIdentity { .. }
        ));
        let e = env(vec![(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST",
            "http://127.0.0.1:9/".into(),
        )]);
        match detect(&e, None).unwrap() {
            Source::Imds { base, from } => {
                assert_eq!(base, "http://127.0.0.1:9");
                assert_eq!(from, "AZURE_POD_IDENTITY_AUTHORITY_HOST");
            }
            s => panic!("{s:?}"),
        }
        match detect(
            &e,
            Some("http://127.0.0.1:8/metadata/identity/oauth2/token"),
        )
        .unwrap()
        {
            Source::Imds { base, from } => {
                assert_eq!(base, "http://127.0.0.1:8");
                assert_eq!(from, "--imds-endpoint");
            }
            s => panic!("{s:?}"),
        }
        // --imds-endpoint is explicit: it beats the variables.
        let app = env(vec![
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token".into()),
            ("IDENTITY_HEADER", "h".into()),
        ]);
        assert!(matches!(
            detect(&app, Some("http://127.0.0.1:7")).unwrap(),
            Source::Imds { .. }
        ));
        match detect(&env(vec![]), None).unwrap() {
            Source::Imds { base, .. } => assert_eq!(base, IMDS_DEFAULT),
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn unsupported_hosts_are_named_not_guessed() {
        let arc = env(vec![
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/".into()),
            ("IMDS_ENDPOINT", "http://127.0.0.1:2/".into()),
        ]);
        assert!(detect(&arc, None).unwrap_err().contains("Azure Arc"));
        let shell = env(vec![("MSI_ENDPOINT", "http://127.0.0.1:1/".into())]);
        assert!(detect(&shell, None).unwrap_err().contains("Cloud Shell"));
        let half = env(vec![("IDENTITY_ENDPOINT", "http://127.0.0.1:1/".into())]);
        assert!(detect(&half, None)
            .unwrap_err()
            .contains("IDENTITY_HEADER is not"));
        assert!(detect(&env(vec![]), Some("ftp://x")).is_err());
    }

    #[test]
    fn query_names_the_identity_per_endpoint_shape() {
        let t = Target::new(None, Some("https://x.example/.default"), false);
        let imds = MsiRequest::new(
            Source::Imds {
                base: "http://127.0.0.1:1".into(),
                from: "t".into(),
            },
            Identity::ResourceId("/r/1".into()),
            &t,
        );
        let u = imds.url().unwrap();
        assert!(u.starts_with("http://127.0.0.1:1/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fx.example&msi_res_id="), "{u}");
        let app = MsiRequest::new(
            Source::AppService {
                endpoint: "http://127.0.0.1:1/msi/token".into(),
                header: Secret::new("s3cret"),
            },
            Identity::ResourceId("/r/1".into()),
            &t,
        );
        let u = app.url().unwrap();
        assert!(u.contains("api-version=2019-08-01") && u.contains("mi_res_id="));
        assert!(!u.contains("s3cret"));
    }

    #[test]
    fn no_endpoint_is_said_within_the_probe_bound() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let t0 = std::time::Instant::now();
        let r = rt.block_on(managed_identity_token(
            &env(vec![]),
            Some(&format!("http://127.0.0.1:{port}")),
            Identity::Default,
            &Target::new(None, None, false),
            Duration::from_secs(3),
        ));
        match r {
            Err(FlowError::Failed(m)) => assert!(m.contains("no managed identity endpoint"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(t0.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn refusals_are_diagnosed() {
        let req = MsiRequest::new(
            Source::Imds {
                base: "http://127.0.0.1:1".into(),
                from: "t".into(),
            },
            Identity::ClientId("c-1".into()),
            &Target::new(None, None, false),
        );
        let d = diagnose(
            r#"{"error":"invalid_request","error_description":"Identity not found"}"#,
            &req,
        )
        .unwrap();
        assert!(d.cause.contains("client ID c-1"), "{d:?}");
        let d = diagnose(r#"{"statusCode":400,"message":"Multiple user assigned identities exist, please specify"}"#, &req).unwrap();
        assert!(d.fix.contains("--client-id"), "{d:?}");
        assert!(diagnose("not json", &req).is_none());
        let d = diagnose(r#"{"error":"invalid_resource","error_description":"AADSTS500011: The resource principal named https://x.example was not found in the tenant"}"#, &req).unwrap();
        assert!(d.cause.contains("wrong audience"), "{d:?}");
        assert!(tenant_clash("a", "--tenant", Some("A")).is_none());
        assert!(tenant_clash("a", "--tenant", Some("b"))
            .unwrap()
            .contains("Tenant shouldn't be specified"));
    }
}

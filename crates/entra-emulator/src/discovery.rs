//! OpenID Connect discovery documents, member for member as Entra serves them
//! (v1.0: `/<tenant>/.well-known/openid-configuration`, v2.0:
//! `/<tenant>/v2.0/.well-known/openid-configuration`), with every endpoint URL on the
//! emulator's base URL.

use axum::http::StatusCode;
use serde_json::Value;

use crate::signin::fail;
use crate::state::{Authority, Shared};
use crate::util::{str_array, Obj};
use crate::CONSUMER_TENANT_ID;

fn issuer_and_region(shared: &Shared, auth: &Authority, v2: bool) -> (String, Value) {
    let tenants = crate::state::read(&shared.tenants);
    let (tid, region) = match auth {
        Authority::Tenant(id) => {
            let region = tenants
                .iter()
                .find(|t| &t.id == id)
                .map_or(Value::Null, |t| Value::from(t.region.as_str()));
            (id.clone(), region)
        }
        Authority::Common | Authority::Organizations => ("{tenantid}".to_owned(), Value::Null),
        Authority::Consumers => (CONSUMER_TENANT_ID.to_owned(), Value::Null),
    };
    let issuer = if v2 {
        shared.issuers.v2(&tid)
    } else {
        shared.issuers.v1(&tid)
    };
    (issuer, region)
}

/// The claims both versions' documents list first, then those of v1.0 and of v2.0.
const CLAIMS: [&str; 11] = [
    "sub",
    "iss",
    "cloud_instance_name",
    "cloud_instance_host_name",
    "cloud_graph_host_name",
    "msgraph_host",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "acr",
];
const V1_CLAIMS: [&str; 6] = [
    "amr",
    "nonce",
    "email",
    "given_name",
    "family_name",
    "nickname",
];
const V2_CLAIMS: [&str; 8] = [
    "nonce",
    "preferred_username",
    "name",
    "tid",
    "ver",
    "at_hash",
    "c_hash",
    "email",
];

/// The v1.0 or v2.0 document, in Entra's member order. `segment` is the tenant as
/// written in the request URL (Entra echoes it in endpoint URLs); `appid` is carried
/// over to `jwks_uri`.
pub(crate) fn document(
    shared: &Shared,
    auth: &Authority,
    segment: &str,
    appid: Option<&str>,
    v2: bool,
) -> Obj {
    let base = format!("{}/{segment}", shared.base_url);
    // `<base>/oauth2/<name>` (v1.0) or `<base>/oauth2/v2.0/<name>` (v2.0).
    let oauth2 = |name: &str| {
        let version = if v2 { "v2.0/" } else { "" };
        format!("{base}/oauth2/{version}{name}")
    };
    let keys_path = if v2 {
        "discovery/v2.0/keys"
    } else {
        "discovery/keys"
    };
    let (issuer, region) = issuer_and_region(shared, auth, v2);
    let mut o = Obj::new();
    o.push("token_endpoint", oauth2("token"))
        .push(
            "token_endpoint_auth_methods_supported",
            str_array(&[
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ]),
        )
        .push("jwks_uri", jwks_uri(&base, keys_path, appid))
        .push(
            "response_modes_supported",
            str_array(&["query", "fragment", "form_post"]),
        )
        .push("subject_types_supported", str_array(&["pairwise"]))
        .push(
            "id_token_signing_alg_values_supported",
            str_array(&["RS256"]),
        );
    if v2 {
        o.push(
            "response_types_supported",
            str_array(&["code", "id_token", "code id_token", "id_token token"]),
        )
        .push(
            "scopes_supported",
            str_array(&["openid", "profile", "email", "offline_access"]),
        )
        .push("issuer", issuer)
        .push("request_uri_parameter_supported", false)
        // Entra points this at Microsoft Graph; the emulator keeps it on loopback.
        .push(
            "userinfo_endpoint",
            format!("{}/oidc/userinfo", shared.base_url),
        );
    } else {
        o.push(
            "response_types_supported",
            str_array(&[
                "code",
                "id_token",
                "code id_token",
                "token id_token",
                "token",
            ]),
        )
        .push("scopes_supported", str_array(&["openid"]))
        .push("issuer", issuer)
        .push("microsoft_multi_refresh_token", true);
    }
    o.push("authorization_endpoint", oauth2("authorize"))
        .push("device_authorization_endpoint", oauth2("devicecode"))
        .push("http_logout_supported", true)
        .push("frontchannel_logout_supported", true)
        .push("end_session_endpoint", oauth2("logout"))
        .push(
            "claims_supported",
            str_array(&[&CLAIMS[..], if v2 { &V2_CLAIMS } else { &V1_CLAIMS }].concat()),
        );
    if !v2 {
        o.push("check_session_iframe", oauth2("checksession"))
            .push("userinfo_endpoint", format!("{base}/openid/userinfo"));
    }
    o.push("kerberos_endpoint", format!("{base}/kerberos"))
        .push("tenant_region_scope", region);
    push_cloud(&mut o);
    o
}

fn push_cloud(o: &mut Obj) {
    // Host names, not endpoints: kept as Entra publishes them.
    o.push("cloud_instance_name", "microsoftonline.com")
        .push("cloud_graph_host_name", "graph.windows.net")
        .push("msgraph_host", "graph.microsoft.com")
        .push("rbac_url", "https://pas.windows.net");
}

fn jwks_uri(base: &str, path: &str, appid: Option<&str>) -> String {
    match appid {
        Some(app) => {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("appid", app)
                .finish();
            format!("{base}/{path}?{q}")
        }
        None => format!("{base}/{path}"),
    }
}

/// Entra's error body for a tenant it does not know: `AADSTS90002` (a GUID or a domain
/// name) or `AADSTS900023` (neither).
pub(crate) fn unknown_tenant_error(shared: &Shared, segment: &str) -> Obj {
    let looks_valid = crate::util::is_guid(segment) || segment.contains('.');
    let f = if looks_valid {
        fail(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            format!(
                "Tenant '{segment}' not found. Check to make sure you have the correct tenant \
                 ID and are signing into the correct cloud. Check with your subscription \
                 administrator, this may happen if there are no active subscriptions for the \
                 tenant."
            ),
        )
    } else {
        fail(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900023,
            format!(
                "Specified tenant identifier '{segment}' is neither a valid DNS name, nor a \
                 valid external domain."
            ),
        )
    };
    f.body(shared)
}

//! Consent: whether an app may call a resource in a tenant, and admin consent granted at run time.

use axum::http::StatusCode;
use axum::response::Response;

use super::{fail, html, parse_form, requested_app, tenant_name, Fail};
use crate::config::AppRegistration;
use crate::state::{lock, Resource, Shared};
use crate::DATABRICKS_RESOURCE_ID;

pub(super) fn consented(
    shared: &Shared,
    tid: &str,
    app: &AppRegistration,
    resource: &Resource,
) -> bool {
    app.consented
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&resource.id))
        || lock(&shared.signin)
            .consents
            .iter()
            .any(|(t, c, r)| t == tid && *c == app.client_id && *r == resource.id)
}

pub(super) fn consent_missing(app: &AppRegistration) -> Fail {
    fail(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        65001,
        format!(
            "The user or administrator has not consented to use the application with ID '{}' \
             named '{}'. Send an interactive authorization request for this user and resource.",
            app.client_id, app.display_name
        ),
    )
}

/// Records a consent (what an administrator's "Grant admin consent" does).
pub(crate) fn grant_consent(shared: &Shared, tid: &str, client_id: &str, resource: &str) {
    lock(&shared.signin).consents.push((
        tid.to_ascii_lowercase(),
        client_id.to_ascii_lowercase(),
        resource.to_ascii_lowercase(),
    ));
}

/// `GET /<tenant>/adminconsent?client_id=…` (and `/<tenant>/v2.0/adminconsent`): an
/// administrator grants the app's permissions (here: Azure Databricks) in the tenant.
pub(crate) fn adminconsent(shared: &Shared, segment: &str, query: Option<&str>) -> Response {
    let form = parse_form(query.unwrap_or("").as_bytes());
    let (t, app) = match requested_app(shared, segment, &form) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    grant_consent(shared, &t.id, &app.client_id, DATABRICKS_RESOURCE_ID);
    html(
        StatusCode::OK,
        &format!(
            "Admin consent granted: '{}' ({}) may call Azure Databricks on behalf of the users of \
             {}.",
            app.display_name,
            app.client_id,
            tenant_name(t)
        ),
    )
}

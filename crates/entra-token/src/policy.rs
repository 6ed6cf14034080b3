//! What `check` enforces: one struct, every default stated.

use crate::alg::Algorithm;
use crate::catalogue::resources::AZURE_DATABRICKS;

/// The rules' settings. Build with [`Policy::databricks`] and adjust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Accepted `aud` values. Default: the Azure Databricks resource ID.
    pub audiences: Vec<String>,
    /// The tenant the token must come from (the workspace's). Default: none
    /// (the `tenant` rule is skipped).
    pub tenant: Option<String>,
    /// An exact issuer to require instead of Entra's issuer shapes (for other
    /// OpenID providers). Default: none.
    pub issuer: Option<String>,
    /// Algorithms accepted. Default: RS256 only, as Entra signs.
    pub algorithms: Vec<Algorithm>,
    /// Clock skew allowed on `nbf` and `exp`, in seconds. Default: 300, as
    /// Microsoft's own validators.
    pub skew_secs: i64,
    /// "Now", in epoch seconds: the engine has no clock of its own.
    pub now: i64,
    /// Check the claims alone and do not verify the signature, even with
    /// keys (`--skip-signature`). Insecure by name: the `signature` finding
    /// is then a skip saying so, and the report is never valid. `alg`
    /// `none` and HMAC still fail. Default: false.
    pub skip_signature: bool,
    /// The Databricks host (`scheme://host[:port]`) the token is checked
    /// against (`--workspace`, the profile's host, or the origin of
    /// `--issuer`): a Databricks-issued token must come from it. Default:
    /// none (the host is not compared: the `issuer` finding fails, as the
    /// token would name its own issuer).
    pub databricks_host: Option<String>,
    /// The Databricks account ID configured for an account host
    /// (`DATABRICKS_ACCOUNT_ID`, a profile's `account_id`): an account's
    /// token on its account host passes the `issuer` rule only when its
    /// `iss` names this account. Default: none (such a token fails `issuer`:
    /// the accounts host is shared by every account).
    pub databricks_account_id: Option<String>,
    /// A custom Entra authority (`scheme://host[:port]`, `--authority`):
    /// a v2 issuer `<authority>/<tenant>/v2.0` is then an Entra ID issuer
    /// too. Default: none (only Entra's own hosts).
    pub authority: Option<String>,
}

impl Policy {
    /// Azure Databricks' rules, as of `now`.
    pub fn databricks(now: i64) -> Policy {
        Policy {
            audiences: vec![AZURE_DATABRICKS.to_owned()],
            tenant: None,
            issuer: None,
            algorithms: vec![Algorithm::RS256],
            skew_secs: 300,
            now,
            skip_signature: false,
            databricks_host: None,
            databricks_account_id: None,
            authority: None,
        }
    }
}

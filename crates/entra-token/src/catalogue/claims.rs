//! One-line explanations of the claims Entra ID puts in access and ID tokens.

/// How a claim's value should be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKind {
    /// Seconds since the epoch: shown as UTC and relative to now.
    Time,
    /// Anything else: shown as it is.
    Plain,
}

/// What a claim is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimInfo {
    pub name: &'static str,
    pub kind: ClaimKind,
    /// One line, in our words.
    pub meaning: &'static str,
}

/// Looks a claim up by name (exact). Claims not listed one by one fall back
/// to a general explanation when they are `xms_*` extension claims or
/// `groups:src*` overage pointers; anything else unknown gives `None`.
pub fn lookup(name: &str) -> Option<&'static ClaimInfo> {
    if let Some(info) = CLAIMS.iter().find(|c| c.name == name) {
        return Some(info);
    }
    if name.starts_with("xms_") {
        Some(&XMS_FALLBACK)
    } else if name.starts_with("groups:src") {
        Some(&GROUPS_SRC_FALLBACK)
    } else {
        None
    }
}

/// The explanation given to any `xms_*` claim not listed one by one.
static XMS_FALLBACK: ClaimInfo = ClaimInfo {
    name: "xms_*",
    kind: ClaimKind::Plain,
    meaning:
        "Optional or internal Microsoft extension claim; Azure Databricks does not rely on it.",
};

/// The explanation given to any `groups:srcN` claim not listed one by one.
static GROUPS_SRC_FALLBACK: ClaimInfo = ClaimInfo {
    name: "groups:src*",
    kind: ClaimKind::Plain,
    meaning: "Group overage pointer: too many groups to fit, so this names a source to fetch the full list from.",
};

const fn time(name: &'static str, meaning: &'static str) -> ClaimInfo {
    ClaimInfo {
        name,
        kind: ClaimKind::Time,
        meaning,
    }
}

const fn plain(name: &'static str, meaning: &'static str) -> ClaimInfo {
    ClaimInfo {
        name,
        kind: ClaimKind::Plain,
        meaning,
    }
}

static CLAIMS: &[ClaimInfo] = &[
    // --- Who the token is for and who issued it -------------------------
    plain(
        "aud",
        "Audience: the API this token is for; Azure Databricks only takes 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d.",
    ),
    plain(
        "iss",
        "Issuer: the Entra ID endpoint that minted the token; the tenant GUID inside it must be the workspace's tenant.",
    ),
    plain(
        "idp",
        "Identity provider that signed the subject in; differs from iss for guests and external accounts.",
    ),
    plain(
        "tid",
        "Tenant ID the token was issued in; it must be the tenant the Databricks workspace belongs to.",
    ),
    plain(
        "ver",
        "Token format version, 1.0 or 2.0; tokens for Azure Databricks are normally 1.0 (sts.windows.net issuer).",
    ),
    // --- When -------------------------------------------------------------
    time("iat", "Issued at: when Entra ID created the token."),
    time(
        "nbf",
        "Not before: the token is refused until this moment (check the caller's clock if it is in the future).",
    ),
    time("exp", "Expiry: the token is refused from this moment on; get a new one."),
    time(
        "auth_time",
        "When the user last actually signed in (entered credentials), not when this token was issued.",
    ),
    time(
        "pwd_exp",
        "When the user's password expires; only present when expiry is near.",
    ),
    time(
        "xms_tcdt",
        "When the tenant was created (internal Microsoft information, not used for access).",
    ),
    time("xms_acd", "When the account was created (internal Microsoft information)."),
    time(
        "xms_pftexp",
        "Internal expiry time tied to the sign-in session behind this token; opaque, not used for access.",
    ),
    // --- The client application ------------------------------------------
    plain(
        "appid",
        "Client application ID (v1 tokens); for a service principal this is the ID Databricks looks up.",
    ),
    plain(
        "azp",
        "Client application ID (v2 tokens); for a service principal this is the ID Databricks looks up.",
    ),
    plain(
        "appidacr",
        "How the client app proved itself (v1): 0 public client, 1 client secret, 2 certificate.",
    ),
    plain(
        "azpacr",
        "How the client app proved itself (v2): 0 public client, 1 client secret, 2 certificate.",
    ),
    plain(
        "app_displayname",
        "Display name of the client application that asked for the token; informational only.",
    ),
    plain(
        "idtyp",
        "Kind of subject: app for a service principal or managed identity, user for a person.",
    ),
    // --- The subject (user or service principal) ---------------------------
    plain(
        "sub",
        "Subject: a per-application pairwise ID for the user or app; stable but differs between apps.",
    ),
    plain(
        "oid",
        "Object ID of the user or service principal in this tenant; same for every app in the tenant.",
    ),
    plain(
        "upn",
        "User principal name; Azure Databricks finds the workspace user by this (or unique_name).",
    ),
    plain(
        "unique_name",
        "Human-readable user name (v1 tokens); Azure Databricks finds the workspace user by this.",
    ),
    plain(
        "preferred_username",
        "Username to show or use as a hint (often the UPN or email); can change, not a stable key.",
    ),
    plain(
        "name",
        "Display name of the user; for showing only, not unique and can change.",
    ),
    plain("given_name", "User's first name, as set on the user object."),
    plain("family_name", "User's surname, as set on the user object."),
    plain("nickname", "Another name for the user, apart from first and last name."),
    plain(
        "email",
        "Email address on record for the user; may be unverified and can change, so not for identity.",
    ),
    plain(
        "verified_primary_email",
        "User's primary email address(es) that the directory treats as verified.",
    ),
    plain(
        "verified_secondary_email",
        "User's secondary email address(es) that the directory treats as verified.",
    ),
    plain(
        "xms_edov",
        "True when the domain of the user's email has been verified by its owner; only sent with email.",
    ),
    plain(
        "login_hint",
        "Opaque value to pass as login_hint for silent sign-in later; do not parse it.",
    ),
    plain(
        "acct",
        "Account status in the tenant: 0 for a member, 1 for a guest.",
    ),
    plain(
        "xms_idrel",
        "How the subject relates to the tenant (member, guest and so on), as internal numeric codes.",
    ),
    plain(
        "onprem_sid",
        "On-premises Active Directory security identifier of a synced user.",
    ),
    // --- How the subject signed in ---------------------------------------
    plain(
        "amr",
        "Methods used to sign in, e.g. pwd, mfa, rsa, fed; useful when Conditional Access demands MFA.",
    ),
    plain(
        "acr",
        "Authentication strength (v1): 0 means the sign-in did not meet the higher assurance level.",
    ),
    plain(
        "acrs",
        "Conditional Access authentication context IDs this sign-in satisfied (step-up authentication).",
    ),
    plain(
        "ipaddr",
        "IP address the user signed in from; compare with Databricks IP access lists.",
    ),
    plain("fwd", "Original client IP address when the request came through a virtual network."),
    plain("vnet", "Virtual network the sign-in came from, if any."),
    plain(
        "in_corp",
        "Present and true when the sign-in came from a trusted corporate network.",
    ),
    plain(
        "deviceid",
        "ID of the registered device the user signed in from (used by device-based Conditional Access).",
    ),
    plain("ztdid", "Zero-touch (Windows Autopilot) deployment ID of the device."),
    plain(
        "platf",
        "Device platform the sign-in came from, as a numeric code; only for managed devices.",
    ),
    plain(
        "signin_state",
        "Sign-in facts such as kmsi (stay signed in), dvc_mngd (managed device), dvc_cmp (compliant).",
    ),
    plain(
        "pwd_url",
        "Where the user can change a soon-to-expire password; only present when expiry is near.",
    ),
    // --- What the subject may do ------------------------------------------
    plain(
        "scp",
        "Delegated permissions granted to the app for the user; Databricks user tokens carry user_impersonation.",
    ),
    plain(
        "roles",
        "App roles granted to the user or app on the target API (app-only tokens use this instead of scp).",
    ),
    plain(
        "wids",
        "Entra directory role template IDs held by the user (e.g. Global Administrator).",
    ),
    plain(
        "groups",
        "Object IDs of the groups the subject belongs to, if the app asked for them.",
    ),
    plain(
        "hasgroups",
        "True when the user is in groups that did not fit in the token; fetch them from Microsoft Graph.",
    ),
    plain(
        "groups:src1",
        "Group overage pointer: too many groups to fit, so this names a source to fetch the full list from.",
    ),
    plain(
        "_claim_names",
        "Maps claims left out of the token (usually groups, on overage) to an entry in _claim_sources.",
    ),
    plain(
        "_claim_sources",
        "Where to fetch claims left out of the token, typically a Graph URL listing the user's groups.",
    ),
    plain(
        "enfpolids",
        "IDs of the policies enforced for this sign-in (legacy claim).",
    ),
    // --- Token identity, sessions and proof --------------------------------
    plain(
        "sid",
        "Sign-in session ID; opaque Microsoft claim used for session sign-out, not for access decisions.",
    ),
    plain(
        "uti",
        "Unique token ID; opaque Microsoft claim, useful only to quote in logs or support cases.",
    ),
    plain(
        "rh",
        "Opaque internal Microsoft claim used to revalidate tokens; ignore it.",
    ),
    plain(
        "aio",
        "Opaque internal Microsoft claim used for token reuse; ignore it.",
    ),
    plain(
        "jti",
        "Standard JWT unique token ID; Entra ID uses uti instead, so this hints at another issuer.",
    ),
    plain(
        "cnf",
        "Proof-of-possession key the token is bound to; the caller must prove it holds that key.",
    ),
    plain(
        "nonce",
        "ID tokens: echoes the nonce the app sent when signing in, to stop replays.",
    ),
    plain(
        "at_hash",
        "ID tokens: hash of the access token issued alongside, to tie the two together.",
    ),
    plain(
        "c_hash",
        "ID tokens: hash of the authorization code issued alongside, to tie the two together.",
    ),
    plain(
        "puid",
        "Opaque internal Microsoft user identifier; ignore it.",
    ),
    // --- Locale and location ----------------------------------------------
    plain("ctry", "User's country or region as a two-letter code."),
    plain(
        "tenant_ctry",
        "Country or region of the tenant as a two-letter code, set by an admin.",
    ),
    plain(
        "tenant_region_scope",
        "Region the tenant belongs to (e.g. NA, EU); informational.",
    ),
    plain(
        "xms_pdl",
        "Preferred data location of the user in a multi-geo tenant (three-letter region code).",
    ),
    plain("xms_pl", "User's preferred language, e.g. en-us."),
    plain("xms_tpl", "Tenant's preferred language, e.g. en."),
    plain(
        "xms_tdbr",
        "Data boundary of the tenant, e.g. EU; informational.",
    ),
    // --- Microsoft extension claims ----------------------------------------
    plain(
        "xms_cc",
        "Client capabilities, e.g. cp1: the client can handle claims challenges (continuous access evaluation).",
    ),
    plain(
        "xms_ssm",
        "Internal session-management flag; 1 when the token is subject to continuous access evaluation.",
    ),
    plain(
        "xms_mirid",
        "Azure resource ID of the managed identity (or of the resource, for system-assigned) that got this token.",
    ),
    plain(
        "xms_az_rid",
        "Azure resource ID of the VM or other resource using a user-assigned managed identity.",
    ),
    plain(
        "xms_ftd",
        "Opaque internal Microsoft claim; ignore it.",
    ),
    plain(
        "xms_st",
        "Opaque internal Microsoft claim about the subject; ignore it.",
    ),
    plain(
        "xms_rd",
        "Opaque internal Microsoft claim; ignore it.",
    ),
    plain(
        "xms_sub_fct",
        "Internal codes describing what kind of subject this is (e.g. agent identities); informational.",
    ),
    plain(
        "xms_act_fct",
        "Internal codes describing what kind of actor called on the subject's behalf; informational.",
    ),
    plain(
        "xms_tnt_fct",
        "Internal codes describing the kind of tenant; informational.",
    ),
    plain(
        "xms_par_app_azp",
        "Application ID of the parent app (blueprint) of an agent identity.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_name_is_listed_once() {
        let mut seen = HashSet::new();
        for c in CLAIMS {
            assert!(seen.insert(c.name), "duplicate claim {}", c.name);
        }
    }

    #[test]
    fn every_meaning_is_one_short_line() {
        for c in CLAIMS.iter().chain([&XMS_FALLBACK, &GROUPS_SRC_FALLBACK]) {
            assert!(!c.name.is_empty());
            assert!(!c.meaning.trim().is_empty(), "{} has no meaning", c.name);
            assert!(!c.meaning.contains('\n'), "{} spans lines", c.name);
            assert!(c.meaning.chars().count() <= 160, "{} is too long", c.name);
        }
    }

    #[test]
    fn the_requested_claims_are_all_there() {
        let wanted = [
            "aud",
            "iss",
            "idp",
            "iat",
            "nbf",
            "exp",
            "aio",
            "acr",
            "amr",
            "appid",
            "appidacr",
            "azp",
            "azpacr",
            "name",
            "given_name",
            "family_name",
            "oid",
            "preferred_username",
            "email",
            "rh",
            "roles",
            "scp",
            "sid",
            "sub",
            "tid",
            "unique_name",
            "upn",
            "uti",
            "ver",
            "wids",
            "groups",
            "hasgroups",
            "groups:src1",
            "_claim_names",
            "_claim_sources",
            "idtyp",
            "ipaddr",
            "onprem_sid",
            "pwd_exp",
            "pwd_url",
            "in_corp",
            "nickname",
            "login_hint",
            "auth_time",
            "nonce",
            "at_hash",
            "c_hash",
            "acrs",
            "xms_cc",
            "xms_ssm",
            "xms_pdl",
            "xms_pl",
            "xms_tpl",
            "xms_mirid",
            "xms_tcdt",
            "xms_az_rid",
            "xms_idrel",
            "xms_ftd",
            "xms_st",
            "ctry",
            "tenant_ctry",
            "tenant_region_scope",
            "verified_primary_email",
            "verified_secondary_email",
            "app_displayname",
            "deviceid",
            "cnf",
            "jti",
        ];
        for name in wanted {
            let info = CLAIMS.iter().find(|c| c.name == name);
            assert!(info.is_some(), "{name} is missing");
        }
    }

    #[test]
    fn lookup_finds_listed_claims() {
        let upn = lookup("upn").expect("upn is listed");
        assert_eq!(upn.name, "upn");
        assert_eq!(upn.kind, ClaimKind::Plain);
        assert_eq!(lookup("xms_cc").map(|c| c.name), Some("xms_cc"));
        assert_eq!(lookup("groups:src1").map(|c| c.name), Some("groups:src1"));
    }

    #[test]
    fn lookup_of_unknown_is_none() {
        assert_eq!(lookup("foo"), None);
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("UPN"), None);
    }

    #[test]
    fn unlisted_xms_claims_fall_back() {
        let info = lookup("xms_unknownthing").expect("xms fallback");
        assert_eq!(info.name, "xms_*");
        assert_eq!(info.kind, ClaimKind::Plain);
        assert!(std::ptr::eq(info, &XMS_FALLBACK));
    }

    #[test]
    fn unlisted_group_sources_fall_back() {
        let info = lookup("groups:src2").expect("groups:src fallback");
        assert_eq!(info.name, "groups:src*");
    }

    #[test]
    fn time_claims_are_time() {
        for name in [
            "iat",
            "nbf",
            "exp",
            "auth_time",
            "pwd_exp",
            "xms_tcdt",
            "xms_acd",
            "xms_pftexp",
        ] {
            let info = lookup(name).expect("time claim is listed");
            assert_eq!(info.kind, ClaimKind::Time, "{name}");
        }
    }

    #[test]
    fn only_epoch_claims_are_time() {
        let times: Vec<&str> = CLAIMS
            .iter()
            .filter(|c| c.kind == ClaimKind::Time)
            .map(|c| c.name)
            .collect();
        assert_eq!(
            times,
            [
                "iat",
                "nbf",
                "exp",
                "auth_time",
                "pwd_exp",
                "xms_tcdt",
                "xms_acd",
                "xms_pftexp"
            ]
        );
    }
}

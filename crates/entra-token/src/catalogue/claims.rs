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
    /// The claim's name as it appears in the payload, e.g. `tid`.
    pub name: &'static str,
    /// How its value is shown.
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

/// The listed claims: data/claims.toml, checked and compiled in by build.rs.
static CLAIMS: &[ClaimInfo] = &include!(concat!(env!("OUT_DIR"), "/claims.rs"));

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
    fn the_data_file_and_the_compiled_table_agree() {
        let file = include_str!("../../data/claims.toml");
        let rows = file.lines().filter(|l| l.trim() == "[[claim]]").count();
        assert_eq!(rows, CLAIMS.len(), "rows in data/claims.toml");
        let names: Vec<&str> = file
            .lines()
            .filter_map(|l| l.strip_prefix("name = \""))
            .map(|n| n.trim_end().trim_end_matches('"'))
            .collect();
        let compiled: Vec<&str> = CLAIMS.iter().map(|c| c.name).collect();
        assert_eq!(names, compiled);
        let times = file
            .lines()
            .filter(|l| l.trim() == "kind = \"time\"")
            .count();
        let compiled_times = CLAIMS.iter().filter(|c| c.kind == ClaimKind::Time).count();
        assert_eq!(times, compiled_times);
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

    /// The claims that hold epoch seconds, in the table's order.
    const TIME_CLAIMS: [&str; 8] = [
        "iat",
        "nbf",
        "exp",
        "auth_time",
        "pwd_exp",
        "xms_tcdt",
        "xms_acd",
        "xms_pftexp",
    ];

    #[test]
    fn time_claims_are_time() {
        for name in TIME_CLAIMS {
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
        assert_eq!(times, TIME_CLAIMS);
    }
}

//! AADSTS error codes: what each means and how to fix it.
//!
//! The codes and Microsoft's short names are facts taken from Microsoft's
//! published AADSTS list; every cause and fix is written here, for people
//! getting tokens for Azure Databricks (resource
//! `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d`) where that matters.

/// One catalogued AADSTS error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AadstsCode {
    /// The number after "AADSTS".
    pub code: u32,
    /// Microsoft's short name for it.
    pub name: &'static str,
    /// Why it happens, in our words.
    pub cause: &'static str,
    /// What to do, in our words.
    pub fix: &'static str,
}

/// Looks a code up (a binary search: build.rs keeps the codes ascending).
pub fn lookup(code: u32) -> Option<&'static AadstsCode> {
    CODES
        .binary_search_by_key(&code, |c| c.code)
        .ok()
        .and_then(|i| CODES.get(i))
}

/// Every catalogued code.
pub fn all() -> &'static [AadstsCode] {
    CODES
}

/// The catalogue, in numeric order: data/aadsts.toml, checked and compiled in
/// by build.rs (adding a code is adding a row there).
static CODES: &[AadstsCode] = &include!(concat!(env!("OUT_DIR"), "/aadsts.rs"));

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn has_at_least_130_codes() {
        assert!(all().len() >= 130, "only {} codes", all().len());
    }

    #[test]
    fn no_duplicate_code_and_in_order() {
        let mut seen = HashSet::new();
        for c in all() {
            assert!(seen.insert(c.code), "duplicate AADSTS{}", c.code);
        }
        assert!(
            all().windows(2).all(|w| w[0].code < w[1].code),
            "CODES must stay in numeric order"
        );
    }

    #[test]
    fn every_entry_is_filled_in() {
        for c in all() {
            assert!(!c.name.trim().is_empty(), "AADSTS{} has no name", c.code);
            assert!(!c.cause.trim().is_empty(), "AADSTS{} has no cause", c.code);
            assert!(!c.fix.trim().is_empty(), "AADSTS{} has no fix", c.code);
        }
    }

    #[test]
    fn the_codes_we_promise_are_there() {
        let wanted = [
            65001, 50011, 7000218, 50076, 50079, 53003, 500011, 700016, 7000215, 7000222, 50126,
            50034, 50020, 90002, 50194, 70011, 50001, 50012, 50053, 50055, 50057, 50058, 50059,
            50072, 50074, 50078, 50097, 50105, 50128, 50131, 50132, 50133, 50140, 50148, 50158,
            50173, 51004, 53000, 53001, 53002, 54005, 65004, 65005, 70000, 70001, 70002, 70003,
            70008, 70016, 70018, 70019, 70043, 75011, 80001, 80012, 81010, 90014, 90072, 90094,
            90095, 135010, 500113, 500133, 530003, 650056, 650057, 700003, 700024, 700027, 700051,
            700054, 7000112, 7500529, 1000031,
        ];
        for code in wanted {
            assert!(lookup(code).is_some(), "AADSTS{code} missing");
        }
    }

    #[test]
    fn key_texts_are_specific() {
        let consent = lookup(65001).unwrap();
        assert!(consent.fix.contains("user_impersonation"));
        assert!(consent.fix.contains("adminconsent?client_id="));
        assert!(lookup(7000218)
            .unwrap()
            .fix
            .to_lowercase()
            .contains("public client"));
        assert!(lookup(500011)
            .unwrap()
            .fix
            .contains("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"));
        assert!(lookup(70011)
            .unwrap()
            .fix
            .contains("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default"));
        assert!(lookup(7000215).unwrap().cause.contains("Secret ID"));
        for mfa in [50076, 50079, 53003] {
            let c = lookup(mfa).unwrap();
            assert!(
                c.cause.contains("ROPC") || c.fix.contains("ROPC"),
                "AADSTS{mfa}"
            );
            assert!(c.fix.contains("service principal"), "AADSTS{mfa}");
        }
    }

    #[test]
    fn the_data_file_and_the_compiled_table_agree() {
        let file = include_str!("../data/aadsts.toml");
        let rows = file.lines().filter(|l| l.trim() == "[[code]]").count();
        assert_eq!(rows, all().len(), "rows in data/aadsts.toml");
        let codes: Vec<u32> = file
            .lines()
            .filter_map(|l| l.strip_prefix("code = "))
            .map(|n| n.trim().parse().unwrap())
            .collect();
        let compiled: Vec<u32> = all().iter().map(|c| c.code).collect();
        assert_eq!(codes, compiled);
        for code in [65001, 50011, 7000218, 50076, 700016] {
            let c = lookup(code).unwrap();
            assert!(file.contains(&format!("code = {code}\n")), "AADSTS{code}");
            assert!(!c.name.is_empty() && !c.cause.is_empty() && !c.fix.is_empty());
        }
    }

    #[test]
    fn binary_search_lookup_finds_every_code_and_nothing_between() {
        for (i, c) in all().iter().enumerate() {
            assert_eq!(lookup(c.code), Some(c), "AADSTS{}", c.code);
            let next = all().get(i + 1).map_or(u32::MAX, |n| n.code);
            if c.code + 1 < next {
                assert!(lookup(c.code + 1).is_none(), "AADSTS{}", c.code + 1);
            }
        }
        assert!(lookup(all()[0].code - 1).is_none());
    }

    #[test]
    fn unknown_code_is_none() {
        assert!(lookup(1).is_none());
        assert!(lookup(u32::MAX).is_none());
    }
}

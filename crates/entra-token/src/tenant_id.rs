//! The one grammar of a tenant: a tenant ID (a GUID) or a verified domain
//! name (`contoso.onmicrosoft.com`). Discovery puts a tenant in a URL path,
//! the issuer and tenant rules compare it, and `explain` builds commands
//! with it: all of them accept exactly these two shapes and nothing else.

/// What a tenant string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantShape {
    /// A tenant ID: 8-4-4-4-12 hexadecimal digits.
    Guid,
    /// A domain name: two or more labels of letters, digits and inner
    /// hyphens, each 1 to 63 characters, 253 characters in all.
    Domain,
}

/// The shape of `s`, or `None` when it is neither a GUID nor a domain name
/// (a display name, `x_y`, `a b`, `..x`, a path, an empty string).
pub fn tenant_shape(s: &str) -> Option<TenantShape> {
    if is_guid(s) {
        Some(TenantShape::Guid)
    } else if is_domain(s) {
        Some(TenantShape::Domain)
    } else {
        None
    }
}

/// Whether `s` is a tenant ID or a domain name.
pub fn is_tenant(s: &str) -> bool {
    tenant_shape(s).is_some()
}

/// Whether `s` is shaped like a GUID (8-4-4-4-12 hex digits).
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_domain(s: &str) -> bool {
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let mut labels = 0;
    for label in s.split('.') {
        let b = label.as_bytes();
        let ok = (1..=63).contains(&b.len())
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-';
        if !ok {
            return false;
        }
        labels += 1;
    }
    // The last label (the top-level domain) is never all digits: that would
    // be an IP address, not a domain.
    labels >= 2
        && !s
            .rsplit('.')
            .next()
            .unwrap_or("")
            .bytes()
            .all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_and_domains_are_tenants() {
        assert_eq!(
            tenant_shape("8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f"),
            Some(TenantShape::Guid)
        );
        assert_eq!(
            tenant_shape("8F3C1D2E-5B7A-4C19-9E2D-6A1B3C4D5E6F"),
            Some(TenantShape::Guid)
        );
        assert_eq!(
            tenant_shape("contoso.onmicrosoft.com"),
            Some(TenantShape::Domain)
        );
        assert_eq!(tenant_shape("a-b.example"), Some(TenantShape::Domain));
    }

    #[test]
    fn display_names_and_odd_strings_are_not_tenants() {
        for s in [
            "",
            "x_y",
            "a b",
            "..x",
            "x..y",
            ".x",
            "x.",
            "Contoso",
            "common",
            "-a.b",
            "a-.b",
            "a/b",
            "a?b",
            "a%2fb",
            "10.0.0.1",
            "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6",
            "8f3c1d2e5b7a4c199e2d6a1b3c4d5e6f00ab",
            "bücher.example",
        ] {
            assert!(!is_tenant(s), "{s:?} must not be a tenant");
        }
        assert!(!is_tenant(&format!("{}.com", "a".repeat(64))));
        assert!(!is_tenant(&"a.".repeat(127).to_string()));
    }
}

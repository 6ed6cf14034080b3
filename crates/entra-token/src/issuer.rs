//! Entra ID issuer strings: which cloud, which version, which tenant.

use crate::cloud::{self, Cloud};

/// The two token formats' issuer shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerVersion {
    /// `https://sts.windows.net/<tid>/`
    V1,
    /// `https://login.microsoftonline.com/<tid>/v2.0`
    V2,
}

/// An issuer recognised as Entra's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraIssuer {
    /// v1 (`sts.…`) or v2 (`login.…/v2.0`).
    pub version: IssuerVersion,
    /// The issuer's host, e.g. `login.microsoftonline.com`.
    pub host: String,
    /// The tenant segment of the path (a GUID for Entra tokens).
    pub tenant: String,
    /// "Azure public cloud", "Azure US Government", ...
    pub cloud: &'static str,
}

// The hosts and their clouds are the cloud table's (`crate::cloud`).

/// The v1 issuer for a tenant in the public cloud.
pub fn v1_issuer(tenant: &str) -> String {
    format!("https://sts.windows.net/{tenant}/")
}

/// The v2 issuer for a tenant under an authority host.
pub fn v2_issuer(authority_host: &str, tenant: &str) -> String {
    format!("https://{authority_host}/{tenant}/v2.0")
}

/// The v1 `sts` host matching an authority host (login.* → sts.*).
pub fn v1_host_for_authority(authority_host: &str) -> &'static str {
    let cloud = if authority_host.ends_with(".cn") {
        Cloud::China
    } else {
        Cloud::Public
    };
    cloud.facts().v1_issuer_host
}

/// Recognises an Entra issuer and splits it. `None` for anything else,
/// including near misses (http, a missing trailing slash on v1, extra path).
pub fn parse(iss: &str) -> Option<EntraIssuer> {
    let rest = iss.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    let host_lc = host.to_ascii_lowercase();
    if let Some(cloud) = cloud::v1_issuer_label(&host_lc) {
        let tenant = path.strip_suffix('/')?;
        if tenant.is_empty() || tenant.contains('/') {
            return None;
        }
        return Some(EntraIssuer {
            version: IssuerVersion::V1,
            host: host_lc,
            tenant: tenant.to_owned(),
            cloud,
        });
    }
    if let Some(cloud) = cloud::of_issuer_host(&host_lc).map(|c| c.name()) {
        // The 2015 v2.0 endpoint (and Azure AD B2C) wrote a trailing slash.
        let tenant = path
            .strip_suffix("/v2.0")
            .or_else(|| path.strip_suffix("/v2.0/"))?;
        if tenant.is_empty() || tenant.contains('/') {
            return None;
        }
        return Some(EntraIssuer {
            version: IssuerVersion::V2,
            host: host_lc,
            tenant: tenant.to_owned(),
            cloud,
        });
    }
    None
}

/// Like [`parse`], and also a v2 issuer `<authority>/<tenant>/v2.0` under
/// a custom authority (`scheme://host[:port]`, as `--authority` gives it),
/// compared without case on the scheme and host.
pub fn parse_with_authority(iss: &str, authority: Option<&str>) -> Option<EntraIssuer> {
    if let Some(p) = parse(iss) {
        return Some(p);
    }
    let base = authority?.trim_end_matches('/');
    if base.is_empty() || iss.len() <= base.len() || !iss.is_char_boundary(base.len()) {
        return None;
    }
    let (head, path) = iss.split_at(base.len());
    if !head.eq_ignore_ascii_case(base) {
        return None;
    }
    let tenant = path.strip_prefix('/')?.strip_suffix("/v2.0")?;
    if tenant.is_empty() || tenant.contains('/') {
        return None;
    }
    let host = base.split_once("://").map_or(base, |(_, h)| h);
    Some(EntraIssuer {
        version: IssuerVersion::V2,
        host: host.to_ascii_lowercase(),
        tenant: tenant.to_owned(),
        cloud: "a custom authority",
    })
}

/// Whether `host` is one of Entra's issuer hosts, of either version.
pub fn is_entra_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    cloud::v1_issuer_label(&h).is_some() || cloud::of_issuer_host(&h).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_both_versions_and_clouds() {
        let v1 = parse("https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/").unwrap();
        assert_eq!(
            (v1.version, v1.tenant.as_str()),
            (IssuerVersion::V1, "72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        let v2 = parse("https://login.microsoftonline.us/abc/v2.0").unwrap();
        assert_eq!(
            (v2.version, v2.cloud),
            (IssuerVersion::V2, "Azure US Government")
        );
        assert!(parse("https://sts.chinacloudapi.cn/t/").is_some());
    }

    #[test]
    fn a_v2_issuer_under_a_custom_authority_is_entra_only_with_that_authority() {
        let iss = "http://127.0.0.1:4000/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
        assert!(parse(iss).is_none());
        let p = parse_with_authority(iss, Some("http://127.0.0.1:4000")).unwrap();
        assert_eq!(p.version, IssuerVersion::V2);
        assert_eq!(p.tenant, "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(p.host, "127.0.0.1:4000");
        assert!(parse_with_authority(iss, Some("http://127.0.0.1:4001")).is_none());
        assert!(parse_with_authority(iss, None).is_none());
        for no in [
            "http://127.0.0.1:4000/t/v2.0/x",
            "http://127.0.0.1:4000//v2.0",
            "http://127.0.0.1:4000/a/b/v2.0",
            "http://127.0.0.1:40000/t/v2.0",
            "http://127.0.0.1:4000/t/",
        ] {
            assert!(
                parse_with_authority(no, Some("http://127.0.0.1:4000")).is_none(),
                "{no}"
            );
        }
    }

    #[test]
    fn refuses_near_misses() {
        assert!(parse("http://sts.windows.net/t/").is_none());
        assert!(parse("https://sts.windows.net/t").is_none());
        assert!(parse("https://login.microsoftonline.com/t/v2.0/x").is_none());
        assert!(parse("https://evil.example/t/v2.0").is_none());
        assert!(parse("https://sts.windows.net.evil.example/t/").is_none());
    }
}

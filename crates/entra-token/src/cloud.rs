//! The Azure clouds and every per-cloud fact entra-doctor uses, in one
//! table: the Entra authority and issuer hosts (the issuer rules), the
//! Azure Databricks workspace domain (which hosts a token may be sent to),
//! and the names the SDKs' environment settings give the cloud.

use crate::catalogue::resources::AZURE_DATABRICKS;

/// An Azure cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// The Azure public cloud (`login.microsoftonline.com`).
    Public,
    /// Azure US Government (`login.microsoftonline.us`).
    UsGov,
    /// Azure China, operated by 21Vianet (`login.chinacloudapi.cn`).
    China,
}

/// What entra-doctor knows of one cloud.
#[derive(Debug)]
pub struct CloudFacts {
    /// The cloud this row describes.
    pub cloud: Cloud,
    /// Its name, as messages give it.
    pub name: &'static str,
    /// The Entra authority, `https://` and host.
    pub authority: &'static str,
    /// The hosts of the cloud's v2.0 issuers (`https://HOST/{tenant}/v2.0`).
    pub issuer_hosts: &'static [&'static str],
    /// The host of the cloud's v1.0 issuer (`https://HOST/{tenant}/`).
    pub v1_issuer_host: &'static str,
    /// What a v1.0 issuer of that host says of its cloud (one host can
    /// serve several clouds).
    pub v1_issuer_label: &'static str,
    /// The domain of the cloud's Azure Databricks workspaces.
    pub workspace_domain: &'static str,
    /// `azure_environment` / `ARM_ENVIRONMENT` values naming the cloud,
    /// upper case without `_` or spaces.
    pub environments: &'static [&'static str],
}

/// Every cloud, the public one first.
pub const CLOUDS: &[CloudFacts] = &[
    CloudFacts {
        cloud: Cloud::Public,
        name: "Azure public cloud",
        authority: "https://login.microsoftonline.com",
        issuer_hosts: &["login.microsoftonline.com"],
        v1_issuer_host: "sts.windows.net",
        v1_issuer_label: "Azure public cloud or US Government",
        workspace_domain: ".azuredatabricks.net",
        environments: &["PUBLIC", "AZUREPUBLICCLOUD", "AZURECLOUD"],
    },
    CloudFacts {
        cloud: Cloud::UsGov,
        name: "Azure US Government",
        authority: "https://login.microsoftonline.us",
        issuer_hosts: &["login.microsoftonline.us"],
        v1_issuer_host: "sts.windows.net",
        v1_issuer_label: "Azure public cloud or US Government",
        workspace_domain: ".databricks.azure.us",
        environments: &[
            "USGOVERNMENT",
            "AZUREUSGOVERNMENTCLOUD",
            "AZUREUSGOVERNMENT",
        ],
    },
    CloudFacts {
        cloud: Cloud::China,
        name: "Azure China (21Vianet)",
        authority: "https://login.chinacloudapi.cn",
        issuer_hosts: &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
        v1_issuer_host: "sts.chinacloudapi.cn",
        v1_issuer_label: "Azure China (21Vianet)",
        workspace_domain: ".databricks.azure.cn",
        environments: &["CHINA", "AZURECHINA", "AZURECHINACLOUD"],
    },
];

impl Cloud {
    /// This cloud's row of [`CLOUDS`].
    pub fn facts(self) -> &'static CloudFacts {
        match self {
            Cloud::Public => &CLOUDS[0],
            Cloud::UsGov => &CLOUDS[1],
            Cloud::China => &CLOUDS[2],
        }
    }

    /// The Entra authority of the cloud.
    pub fn authority(self) -> &'static str {
        self.facts().authority
    }

    /// The Azure Databricks resource (application) ID in this cloud: the
    /// token's expected `aud`. The Databricks SDKs use one ID in all three.
    pub fn databricks_resource(self) -> &'static str {
        AZURE_DATABRICKS
    }

    /// The cloud's name, as messages give it.
    pub fn name(self) -> &'static str {
        self.facts().name
    }

    /// The cloud of a workspace host name.
    pub fn of_host(host: &str) -> Option<Cloud> {
        let h = host.to_ascii_lowercase();
        CLOUDS
            .iter()
            .find(|c| h.ends_with(c.workspace_domain) && h.len() > c.workspace_domain.len())
            .map(|c| c.cloud)
    }

    /// The cloud an `azure_environment` / `ARM_ENVIRONMENT` value names.
    pub fn of_environment(env: &str) -> Option<Cloud> {
        // Spelled as the SDKs and az spell it: any case, with or without
        // '_' or spaces (AzureUSGovernment, azure_us_government, ...).
        let key = env.trim().to_ascii_uppercase().replace(['_', ' '], "");
        CLOUDS
            .iter()
            .find(|c| c.environments.contains(&key.as_str()))
            .map(|c| c.cloud)
    }
}

/// What a v1.0 issuer host (lower case) says of its cloud.
pub fn v1_issuer_label(host: &str) -> Option<&'static str> {
    CLOUDS
        .iter()
        .find(|c| c.v1_issuer_host == host)
        .map(|c| c.v1_issuer_label)
}

/// The cloud of a v2.0 issuer host (lower case).
pub fn of_issuer_host(host: &str) -> Option<Cloud> {
    CLOUDS
        .iter()
        .find(|c| c.issuer_hosts.contains(&host))
        .map(|c| c.cloud)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_is_its_own_row() {
        for c in [Cloud::Public, Cloud::UsGov, Cloud::China] {
            assert_eq!(c.facts().cloud, c);
        }
    }

    #[test]
    fn hosts_and_environments_name_their_cloud() {
        assert_eq!(
            Cloud::of_host("adb-1.2.azuredatabricks.net"),
            Some(Cloud::Public)
        );
        assert_eq!(Cloud::of_host(".azuredatabricks.net"), None);
        assert_eq!(
            Cloud::of_host("ADB-1.DATABRICKS.AZURE.CN"),
            Some(Cloud::China)
        );
        assert_eq!(
            Cloud::of_environment("azure_us_government"),
            Some(Cloud::UsGov)
        );
        assert_eq!(Cloud::of_environment("mars"), None);
        assert_eq!(of_issuer_host("login.chinacloudapi.cn"), Some(Cloud::China));
        assert_eq!(of_issuer_host("sts.windows.net"), None);
        assert_eq!(
            v1_issuer_label("sts.chinacloudapi.cn"),
            Some("Azure China (21Vianet)")
        );
        assert_eq!(v1_issuer_label("login.microsoftonline.com"), None);
    }
}

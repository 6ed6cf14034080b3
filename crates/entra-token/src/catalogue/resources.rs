//! Well-known resources (APIs) an `aud` claim can name.

/// The Azure Databricks first-party application (resource) ID.
pub const AZURE_DATABRICKS: &str = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";

/// A known API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// Its display name, e.g. "Azure Databricks".
    pub name: &'static str,
    /// The identifiers (app ID GUID, App ID URIs) that name it in `aud`.
    pub ids: &'static [&'static str],
}

/// Finds the resource an audience value names.
pub fn lookup(aud: &str) -> Option<&'static Resource> {
    let norm = aud.trim_end_matches('/');
    RESOURCES.iter().find(|r| {
        r.ids
            .iter()
            .any(|id| id.trim_end_matches('/').eq_ignore_ascii_case(norm))
    })
}

/// First-party Microsoft APIs, with their app ID GUIDs and App ID URIs
/// (public cloud first, then US Government and China where they differ).
static RESOURCES: &[Resource] = &[
    Resource {
        name: "Azure Databricks",
        ids: &[AZURE_DATABRICKS],
    },
    Resource {
        name: "Azure Resource Manager",
        ids: &[
            "797f4846-ba00-4fd7-ba43-dac1f8f63013",
            "https://management.core.windows.net/",
            "https://management.azure.com/",
            "https://management.usgovcloudapi.net/",
            "https://management.core.usgovcloudapi.net/",
            "https://management.chinacloudapi.cn/",
            "https://management.core.chinacloudapi.cn/",
        ],
    },
    Resource {
        name: "Microsoft Graph",
        ids: &[
            "00000003-0000-0000-c000-000000000000",
            "https://graph.microsoft.com",
            "https://graph.microsoft.us",
            "https://dod-graph.microsoft.us",
            "https://microsoftgraph.chinacloudapi.cn",
        ],
    },
    Resource {
        name: "Azure AD Graph (retired)",
        ids: &[
            "00000002-0000-0000-c000-000000000000",
            "https://graph.windows.net",
            "https://graph.chinacloudapi.cn",
        ],
    },
    Resource {
        name: "Azure Storage",
        ids: &[
            "e406a681-f3d4-42a8-90b6-c2b029497af1",
            "https://storage.azure.com",
        ],
    },
    Resource {
        name: "Azure Data Lake Storage Gen1",
        ids: &[
            "e9f49c6b-5ce5-44c8-925d-015017e9f7ad",
            "https://datalake.azure.net",
        ],
    },
    Resource {
        name: "Azure Key Vault",
        ids: &[
            "cfa8b339-82a2-471a-a3c9-0fc0be7a4093",
            "https://vault.azure.net",
            "https://vault.usgovcloudapi.net",
            "https://vault.azure.cn",
        ],
    },
    Resource {
        name: "Azure Key Vault Managed HSM",
        ids: &["https://managedhsm.azure.net"],
    },
    Resource {
        name: "Azure SQL Database",
        ids: &[
            "022907d3-0f1b-48f7-badc-1ba6abab6d66",
            "https://database.windows.net",
            "https://database.usgovcloudapi.net",
            "https://database.chinacloudapi.cn",
        ],
    },
    Resource {
        name: "Azure Cosmos DB",
        ids: &["https://cosmos.azure.com"],
    },
    Resource {
        name: "Azure DevOps",
        ids: &["499b84ac-1321-427f-aa17-267ca6975798"],
    },
    Resource {
        name: "Power BI",
        ids: &[
            "00000009-0000-0000-c000-000000000000",
            "https://analysis.windows.net/powerbi/api",
            "https://analysis.usgovcloudapi.net/powerbi/api",
            "https://analysis.chinacloudapi.cn/powerbi/api",
        ],
    },
    Resource {
        name: "Azure Service Bus",
        ids: &[
            "80a10ef9-8168-493d-abf9-3297c4ef6e3c",
            "https://servicebus.azure.net",
        ],
    },
    Resource {
        name: "Azure Event Hubs",
        ids: &[
            "80369ed6-5f11-4dd9-bef3-692475845e77",
            "https://eventhubs.azure.net",
        ],
    },
    Resource {
        name: "Azure Event Grid",
        ids: &["https://eventgrid.azure.net"],
    },
    Resource {
        name: "Azure Relay",
        ids: &["https://relay.azure.net"],
    },
    Resource {
        name: "Log Analytics",
        ids: &[
            "ca7f3f0b-7d91-482c-8e09-c5d840d0eac5",
            "https://api.loganalytics.io",
            "https://api.loganalytics.us",
        ],
    },
    Resource {
        name: "Azure Monitor",
        ids: &["https://monitor.azure.com", "https://monitoring.azure.com"],
    },
    Resource {
        name: "Azure Data Explorer (Kusto)",
        ids: &[
            "2746ea77-4702-4b45-80ca-3c97e680e8b7",
            "https://kusto.kusto.windows.net",
            "https://help.kusto.windows.net",
        ],
    },
    Resource {
        name: "Azure Synapse Analytics",
        ids: &["https://dev.azuresynapse.net"],
    },
    Resource {
        name: "Microsoft Purview",
        ids: &["https://purview.azure.net"],
    },
    Resource {
        name: "Azure Batch",
        ids: &[
            "ddbf3205-c6bd-46ae-8127-60eb93363864",
            "https://batch.core.windows.net",
        ],
    },
    Resource {
        name: "Azure Machine Learning",
        ids: &[
            "18a66f5f-dbdf-4c17-9dd7-1634712a9cbe",
            "https://ml.azure.com",
        ],
    },
    Resource {
        name: "Azure Cognitive Services (Azure AI services)",
        ids: &[
            "7d312290-28c8-473c-a0ed-8e53749b6d6d",
            "https://cognitiveservices.azure.com",
        ],
    },
    Resource {
        name: "Azure AI Search",
        ids: &["https://search.azure.com"],
    },
    Resource {
        name: "Azure Container Registry",
        ids: &["https://containerregistry.azure.net"],
    },
    Resource {
        name: "Azure App Configuration",
        ids: &["https://azconfig.io"],
    },
    Resource {
        name: "Azure Digital Twins",
        ids: &[
            "0b07f429-9f4b-4714-9392-cc5e8e80c8b0",
            "https://digitaltwins.azure.net",
        ],
    },
    Resource {
        name: "Azure Kubernetes Service AAD Server",
        ids: &["6dae42f8-4368-4678-94ff-3960e28e3630"],
    },
    Resource {
        name: "Office 365 Exchange Online",
        ids: &[
            "00000002-0000-0ff1-ce00-000000000000",
            "https://outlook.office365.com",
            "https://outlook.office.com",
        ],
    },
    Resource {
        name: "Office 365 SharePoint Online",
        ids: &["00000003-0000-0ff1-ce00-000000000000"],
    },
    Resource {
        name: "Office 365 Management APIs",
        ids: &[
            "c5393580-f805-4401-95e8-94b7a6ef2fc2",
            "https://manage.office.com",
        ],
    },
    Resource {
        name: "Dynamics CRM (Dataverse)",
        ids: &["00000007-0000-0000-c000-000000000000"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn name_of(aud: &str) -> Option<&'static str> {
        lookup(aud).map(|r| r.name)
    }

    #[test]
    fn databricks_guid() {
        assert_eq!(name_of(AZURE_DATABRICKS), Some("Azure Databricks"));
        assert_eq!(
            name_of("2FF814A6-3304-4AB8-85CB-CD0E6F879C1D"),
            Some("Azure Databricks")
        );
    }

    #[test]
    fn arm_uris_with_and_without_slash() {
        for aud in [
            "https://management.core.windows.net/",
            "https://management.core.windows.net",
            "https://management.azure.com/",
            "https://management.azure.com",
            "HTTPS://MANAGEMENT.AZURE.COM/",
            "797f4846-ba00-4fd7-ba43-dac1f8f63013",
            "https://management.usgovcloudapi.net",
            "https://management.chinacloudapi.cn/",
        ] {
            assert_eq!(name_of(aud), Some("Azure Resource Manager"), "{aud}");
        }
    }

    #[test]
    fn graph() {
        assert_eq!(
            name_of("00000003-0000-0000-c000-000000000000"),
            Some("Microsoft Graph")
        );
        assert_eq!(
            name_of("https://graph.microsoft.com/"),
            Some("Microsoft Graph")
        );
        assert_eq!(
            name_of("00000002-0000-0000-c000-000000000000"),
            Some("Azure AD Graph (retired)")
        );
    }

    #[test]
    fn unknown_is_none() {
        assert_eq!(name_of("api://my-own-api"), None);
        assert_eq!(name_of("00000000-0000-0000-0000-000000000000"), None);
        assert_eq!(name_of(""), None);
    }

    #[test]
    fn no_id_is_listed_twice() {
        let mut seen = HashSet::new();
        for r in RESOURCES {
            assert!(!r.name.is_empty());
            assert!(!r.ids.is_empty(), "{} has no ids", r.name);
            for id in r.ids {
                let norm = id.trim_end_matches('/').to_ascii_lowercase();
                assert!(seen.insert(norm), "{id} is listed twice");
            }
        }
    }

    #[test]
    fn names_are_unique() {
        let mut seen = HashSet::new();
        for r in RESOURCES {
            assert!(seen.insert(r.name), "{} is listed twice", r.name);
        }
    }

    #[test]
    fn guids_are_well_formed() {
        for r in RESOURCES {
            for id in r.ids.iter().filter(|id| !id.starts_with("https://")) {
                let groups: Vec<usize> = id.split('-').map(str::len).collect();
                assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
                assert!(
                    id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
                    "{id}"
                );
                assert_eq!(id.to_ascii_lowercase(), *id, "{id}");
            }
        }
    }
}

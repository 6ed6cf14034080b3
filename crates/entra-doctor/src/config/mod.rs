//! Workspace settings as the Databricks SDKs resolve them: the attribute
//! table, the `.databrickscfg` reader, the resolver (flags, environment,
//! profile) and the choice of authentication method. No network.

pub mod attributes;
pub mod consumers;
pub mod file;
pub mod methods;
pub mod resolve;

pub use methods::choose;
pub use resolve::{resolve, Flags};

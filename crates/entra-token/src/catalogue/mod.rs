//! Facts the engine explains with: what each claim means, which resource an
//! audience names, what each AADSTS error code means and how to fix it.
//! The facts are Microsoft's; the words are ours.

pub mod aadsts;
pub mod claims;
pub mod resources;

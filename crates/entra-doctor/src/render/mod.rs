//! Renderers: the same findings and decoded tokens, as terminal text or
//! JSON. They format; they never decide.

pub mod json;
pub mod text;

//! AADSTS error codes: what each means and how to fix it.

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

/// Looks a code up.
pub fn lookup(code: u32) -> Option<&'static AadstsCode> {
    CODES.iter().find(|c| c.code == code)
}

/// Every catalogued code.
pub fn all() -> &'static [AadstsCode] {
    CODES
}

static CODES: &[AadstsCode] = &[];

//! Public keys: read from a JWKS, a JWK, an X.509 certificate (`x5c` or
//! PEM) or a PEM public key; parsed once, then reused for every token.

mod cert;
mod jwk;
mod keyset;
mod material;
mod pem_input;
#[allow(unsafe_code)] // FFI to aws-lc; each block says why it is sound.
pub(crate) mod rsa65537;

pub use cert::CertInfo;
pub use keyset::{KeyProblem, KeySelection, KeySet};
pub use material::{KeyMaterial, KeyRefusal, VerifyingKey, MAX_RSA_BITS, MIN_RSA_BITS};

//! RSASSA-PKCS1-v1_5 verification (RS256, RS384, RS512) for keys with the
//! public exponent 65537 (`AQAB`, every Entra signing key), on aws-lc's
//! Montgomery arithmetic, 12–20 % faster than a whole
//! `ParsedPublicKey::verify_digest_sig` call (interleaved measurements).
//!
//! Why: batch validation runs at the speed of RSA verification, and most of
//! the difference is per-call set-up inside the general path (a context,
//! scratch numbers and buffers allocated and freed for each signature, and
//! a generic exponentiation). Here the modulus's Montgomery context is made
//! once per key, the scratch numbers once per thread, and the exponent's
//! shape is used directly: s^65537 = s^(2^16) * s is sixteen Montgomery
//! squarings and one multiplication, the last of which also leaves the
//! Montgomery domain.
//!
//! What is checked is exactly RFC 8017 §8.2.2 with the "encode and compare"
//! of step 4: the signature has the modulus's length, is below the modulus,
//! and s^e mod n equals, byte for byte, `00 01 FF..FF 00 DigestInfo hash`
//! (DigestInfo with its NULL parameters, as aws-lc requires). Nothing is
//! parsed out of the decrypted block. Only public values are involved, so
//! nothing needs constant time.
//!
//! The caller uses this only for keys aws-lc-rs itself accepts for the
//! algorithm (2048 to 8192 bits); a test compares its verdicts with
//! aws-lc-rs's over the Wycheproof vectors and mutated signatures.

use std::cell::RefCell;
use std::ptr::NonNull;

use aws_lc_sys as ffi;

/// The DigestInfo prefixes of RFC 8017 §9.2 (note 1).
pub(crate) const SHA256_PREFIX: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
pub(crate) const SHA384_PREFIX: &[u8] = &[
    0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05,
    0x00, 0x04, 0x30,
];
pub(crate) const SHA512_PREFIX: &[u8] = &[
    0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05,
    0x00, 0x04, 0x40,
];

/// The largest modulus handled, in bytes (8192 bits).
const MAX_BYTES: usize = 1024;

/// The padding's FF bytes, compared as one slice (a vectorised compare,
/// where a byte loop with an early exit is not).
static ALL_FF: [u8; MAX_BYTES] = [0xff; MAX_BYTES];

/// A public key with exponent 65537, ready to verify.
pub(crate) struct Rsa65537 {
    n: NonNull<ffi::BIGNUM>,
    mont: NonNull<ffi::BN_MONT_CTX>,
    /// The modulus's length in bytes: the length of every signature.
    len: usize,
}

// SAFETY: after `new`, `n` and `mont` are only ever passed to aws-lc as
// `const` arguments (read, never written), which aws-lc allows from any
// number of threads at once; they are freed once, in `drop`.
unsafe impl Send for Rsa65537 {}
unsafe impl Sync for Rsa65537 {}

impl Rsa65537 {
    /// The key for modulus `n` and exponent `e` (big-endian), or `None`
    /// when `e` is not 65537 or `n` is not an odd number of 2048 to 8192
    /// bits (the caller then uses the general path).
    pub(crate) fn new(n: &[u8], e: &[u8]) -> Option<Rsa65537> {
        let strip = |v: &[u8]| -> Vec<u8> { v.iter().skip_while(|&&b| b == 0).copied().collect() };
        if strip(e) != [0x01, 0x00, 0x01] {
            return None;
        }
        let n = strip(n);
        let top = *n.first()?;
        let bits = n.len() * 8 - top.leading_zeros() as usize;
        if !(2048..=8192).contains(&bits) || n.last().is_none_or(|b| b & 1 == 0) {
            return None;
        }
        // SAFETY: each pointer is checked for null before use; on every
        // path what was allocated is freed exactly once (here on failure,
        // else by `drop`).
        unsafe {
            let bn = NonNull::new(ffi::BN_bin2bn(n.as_ptr(), n.len(), std::ptr::null_mut()))?;
            let ctx = ffi::BN_CTX_new();
            let mont = if ctx.is_null() {
                std::ptr::null_mut()
            } else {
                let m = ffi::BN_MONT_CTX_new_for_modulus(bn.as_ptr(), ctx);
                ffi::BN_CTX_free(ctx);
                m
            };
            let Some(mont) = NonNull::new(mont) else {
                ffi::BN_free(bn.as_ptr());
                return None;
            };
            Some(Rsa65537 {
                n: bn,
                mont,
                len: n.len(),
            })
        }
    }

    /// Whether `signature` is this key's PKCS#1 v1.5 signature of `hash`
    /// under the digest whose DigestInfo prefix is `prefix`; `None` when the
    /// fast path could not run (no scratch memory), and the caller should
    /// ask the general path.
    pub(crate) fn verify(&self, prefix: &[u8], hash: &[u8], signature: &[u8]) -> Option<bool> {
        let k = self.len;
        let t_len = prefix.len() + hash.len();
        if signature.len() != k {
            return Some(false);
        }
        if k > MAX_BYTES || k < t_len + 11 {
            return None;
        }
        let mut em = [0u8; MAX_BYTES];
        let em = &mut em[..k];
        let power = SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut s) => s.as_mut().map(|s| self.power(s, signature, em)),
            Err(_) => None,
        })?;
        match power {
            Power::Done => {}
            Power::NotBelowModulus => return Some(false),
            Power::Failed => return None,
        }
        // EM = 00 01 FF..FF 00 || DigestInfo prefix || hash (at least
        // eight FF bytes, implied by k >= tLen + 11).
        let ff_end = k - t_len - 1;
        Some(
            em[0] == 0x00
                && em[1] == 0x01
                && em[2..ff_end] == ALL_FF[..ff_end - 2]
                && em[ff_end] == 0x00
                && &em[ff_end + 1..ff_end + 1 + prefix.len()] == prefix
                && &em[ff_end + 1 + prefix.len()..] == hash,
        )
    }

    /// Writes signature^65537 mod n, big-endian, into `out` (k bytes).
    fn power(&self, s: &mut Scratch, signature: &[u8], out: &mut [u8]) -> Power {
        let (n, mont) = (self.n.as_ptr(), self.mont.as_ptr());
        let (a, t, ctx) = (s.a.as_ptr(), s.t.as_ptr(), s.ctx.as_ptr());
        // SAFETY: `a`, `t` and `ctx` belong to this thread's scratch and are
        // borrowed mutably here only; `n` and `mont` are only read; `out`
        // has `out.len()` writable bytes, as passed. aws-lc allows the
        // result to alias the operands of BN_mod_mul_montgomery.
        unsafe {
            if ffi::BN_bin2bn(signature.as_ptr(), signature.len(), a).is_null() {
                return Power::Failed;
            }
            // RFC 8017 §5.2.2 step 1: the representative must be below n.
            if ffi::BN_ucmp(a, n) >= 0 {
                return Power::NotBelowModulus;
            }
            // t = s·R, then sixteen squarings: s^(2^16)·R; then
            // (s^(2^16)·R)·s·R⁻¹ = s^65537, out of the Montgomery domain.
            let mut ok = ffi::BN_to_montgomery(t, a, mont, ctx) == 1;
            for _ in 0..16 {
                ok = ok && ffi::BN_mod_mul_montgomery(t, t, t, mont, ctx) == 1;
            }
            // Written little-endian (on a little-endian machine a copy of
            // the words, where aws-lc's big-endian writer goes a byte at a
            // time), then reversed in place: the same k big-endian bytes.
            ok = ok
                && ffi::BN_mod_mul_montgomery(t, t, a, mont, ctx) == 1
                && ffi::BN_bn2le_padded(out.as_mut_ptr(), out.len(), t) == 1;
            if ok {
                out.reverse();
                Power::Done
            } else {
                Power::Failed
            }
        }
    }
}

/// How the exponentiation went.
enum Power {
    Done,
    /// The signature's value is not below the modulus: not a signature.
    NotBelowModulus,
    /// aws-lc could not compute (no memory): ask the general path.
    Failed,
}

impl Drop for Rsa65537 {
    fn drop(&mut self) {
        // SAFETY: both were allocated by aws-lc in `new` and are freed once.
        unsafe {
            ffi::BN_MONT_CTX_free(self.mont.as_ptr());
            ffi::BN_free(self.n.as_ptr());
        }
    }
}

/// Per-thread scratch numbers and context, made once per thread.
struct Scratch {
    ctx: NonNull<ffi::BN_CTX>,
    a: NonNull<ffi::BIGNUM>,
    t: NonNull<ffi::BIGNUM>,
}

impl Scratch {
    fn new() -> Option<Scratch> {
        // SAFETY: each allocation is checked; on failure what was made is
        // freed by `Scratch::drop` or here.
        unsafe {
            let ctx = NonNull::new(ffi::BN_CTX_new())?;
            let a = ffi::BN_new();
            let t = ffi::BN_new();
            match (NonNull::new(a), NonNull::new(t)) {
                (Some(a), Some(t)) => Some(Scratch { ctx, a, t }),
                _ => {
                    ffi::BN_free(a);
                    ffi::BN_free(t);
                    ffi::BN_CTX_free(ctx.as_ptr());
                    None
                }
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // SAFETY: allocated in `Scratch::new`, freed once, at thread exit.
        unsafe {
            ffi::BN_free(self.a.as_ptr());
            ffi::BN_free(self.t.as_ptr());
            ffi::BN_CTX_free(self.ctx.as_ptr());
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Option<Scratch>> = RefCell::new(Scratch::new());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_exponents_and_sizes() {
        let mut n = vec![0xc5u8; 256];
        n[255] |= 1;
        assert!(Rsa65537::new(&n, &[1, 0, 1]).is_some());
        assert!(Rsa65537::new(&n, &[0, 1, 0, 1]).is_some());
        assert!(Rsa65537::new(&n, &[3]).is_none());
        assert!(Rsa65537::new(&n[..128], &[1, 0, 1]).is_none());
        let mut even = n.clone();
        even[255] &= 0xfe;
        assert!(Rsa65537::new(&even, &[1, 0, 1]).is_none());
        assert!(Rsa65537::new(&[], &[1, 0, 1]).is_none());
    }

    /// The bundled example key takes the fast path, which verifies the
    /// bundled token and refuses it altered.
    #[test]
    fn the_example_key_takes_the_fast_path() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
        let jwks = std::fs::read(format!("{root}/jwks.json")).unwrap();
        let keys = crate::KeySet::parse(&jwks).unwrap();
        let text = std::fs::read_to_string(format!("{root}/databricks-token.jwt")).unwrap();
        let token = crate::Token::parse(text.trim()).unwrap();
        let key = &keys.keys()[0];
        let fast = key.rsa65537(crate::Algorithm::RS256).expect("fast path");
        let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.signing_input());
        assert_eq!(
            fast.verify(SHA256_PREFIX, hash.as_ref(), token.signature()),
            Some(true)
        );
        assert_eq!(
            fast.verify(SHA384_PREFIX, hash.as_ref(), token.signature()),
            Some(false)
        );
        let mut sig = token.signature().to_vec();
        sig[100] ^= 4;
        assert_eq!(fast.verify(SHA256_PREFIX, hash.as_ref(), &sig), Some(false));
        // And from another thread (its own scratch).
        let sig = token.signature().to_vec();
        let ok = std::thread::scope(|s| {
            s.spawn(|| fast.verify(SHA256_PREFIX, hash.as_ref(), &sig))
                .join()
                .unwrap()
        });
        assert_eq!(ok, Some(true));
    }

    #[test]
    fn refuses_wrong_lengths_and_values_above_the_modulus() {
        let mut n = vec![0xc5u8; 256];
        n[255] |= 1;
        let key = Rsa65537::new(&n, &[1, 0, 1]).unwrap();
        let hash = [7u8; 32];
        assert_eq!(key.verify(SHA256_PREFIX, &hash, &[1u8; 255]), Some(false));
        assert_eq!(key.verify(SHA256_PREFIX, &hash, &[1u8; 257]), Some(false));
        assert_eq!(
            key.verify(SHA256_PREFIX, &hash, &[0xffu8; 256]),
            Some(false)
        );
        assert_eq!(key.verify(SHA256_PREFIX, &hash, &[0u8; 256]), Some(false));
    }

    /// The private operation of `key` on `em` (raw RSA, no padding): the
    /// signature whose value, raised to e, is exactly `em`.
    fn raw_sign(key: *mut ffi::RSA, em: &[u8]) -> Vec<u8> {
        // SAFETY: `key` is a live RSA key (the caller's).
        let size = unsafe { ffi::RSA_size(key) };
        // aws-lc writes RSA_size(key) bytes to the output.
        assert_eq!(size as usize, em.len(), "the message has the key's length");
        let mut sig = vec![0u8; em.len()];
        // SAFETY: `key` is a live RSA private key of em.len() bytes; both
        // buffers have that length.
        let n = unsafe {
            ffi::RSA_private_encrypt(
                em.len(),
                em.as_ptr(),
                sig.as_mut_ptr(),
                key,
                ffi::RSA_NO_PADDING,
            )
        };
        assert_eq!(n, em.len() as i32, "raw RSA private operation");
        sig
    }

    /// Every byte of the encoded message (00 01, each FF of the padding, the
    /// 00 after it, the DigestInfo prefix and the hash) changed in turn, and
    /// the value signed as it is: each is refused, and the unchanged one
    /// verifies. This reaches each comparison of the encode-and-compare step,
    /// which corrupting a signature (a random value) does not.
    #[test]
    fn refuses_a_signature_of_any_other_encoded_message() {
        // SAFETY: each object is checked, used while alive and freed once.
        let (private, n) = unsafe {
            let key = ffi::RSA_new();
            let e = ffi::BN_new();
            assert!(!key.is_null() && !e.is_null());
            assert_eq!(ffi::BN_set_word(e, 65537), 1);
            assert_eq!(
                ffi::RSA_generate_key_ex(key, 2048, e, std::ptr::null_mut()),
                1
            );
            ffi::BN_free(e);
            let mut n = vec![0u8; 256];
            assert_eq!(
                ffi::BN_bn2bin_padded(n.as_mut_ptr(), n.len(), ffi::RSA_get0_n(key)),
                1
            );
            (key, n)
        };
        let jwks = format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"k","n":"{}","e":"AQAB"}}]}}"#,
            crate::b64::encode(&n)
        );
        let keys = crate::KeySet::parse(jwks.as_bytes()).unwrap();
        let key = &keys.keys()[0];
        let fast = key.rsa65537(crate::Algorithm::RS256).expect("fast path");
        let msg = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0";
        let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, msg);
        // Both paths, which must agree; the verdict.
        let agree = |sig: &[u8], what: &str| -> bool {
            let ours = fast.verify(SHA256_PREFIX, hash.as_ref(), sig);
            let general =
                crate::verify::verify_signature_general(crate::Algorithm::RS256, key, msg, sig)
                    .is_ok();
            assert_eq!(
                ours,
                Some(general),
                "{what}: fast path {ours:?}, aws-lc-rs {general}"
            );
            general
        };
        let mut em = vec![0x00, 0x01];
        em.resize(256 - SHA256_PREFIX.len() - 32 - 1, 0xff);
        em.push(0x00);
        em.extend_from_slice(SHA256_PREFIX);
        em.extend_from_slice(hash.as_ref());
        assert_eq!(em.len(), 256);
        assert!(agree(&raw_sign(private, &em), "as encoded"));
        for i in 0..em.len() {
            // (The first byte's top bit set could make the value exceed n,
            // which no signature reaches.)
            let changes: &[u8] = if i == 0 { &[0x01] } else { &[0x01, 0x80] };
            for &change in changes {
                let mut other = em.clone();
                other[i] ^= change;
                let what = format!("byte {i} ^ {change:#04x}");
                assert!(!agree(&raw_sign(private, &other), &what), "{what}");
            }
        }
        // SAFETY: made above, freed once.
        unsafe { ffi::RSA_free(private) };
    }
}

//! A deterministic byte mutator for the mutation smoke tests (`no_panic.rs`
//! here and in entra-explain): bit flips, odd bytes, cuts and splices.

/// xorshift64*: deterministic, so a failure reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[u8] = b".-_=+/{}[]\":,\\ \n\r\t\x00\xff0aAzZ";

pub fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
            }
            3 if !v.is_empty() => {
                let i = rng.below(v.len());
                v.truncate(i);
            }
            _ if !v.is_empty() => {
                let a = rng.below(v.len());
                let b = rng.below(v.len());
                let (lo, hi) = (a.min(b), a.max(b));
                let piece = v[lo..hi].to_vec();
                let at = rng.below(v.len());
                v.splice(at..at, piece);
            }
            _ => v.push(b'x'),
        }
    }
    v
}

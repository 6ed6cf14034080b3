#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! Mutation smoke test: the explain parser, fed tens of thousands of damaged
//! versions of real error texts, returns a report or an error and never
//! panics, and neither does explaining what it returned.

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[u8] = b".-_=+/{}[]\":,\\ \n\r\t\x00\xff0aAzZ";

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
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

#[test]
fn explain_parsing_never_panics() {
    let samples: [&[u8]; 3] = [
        br#"{"error":"invalid_grant","error_description":"AADSTS50126: Error validating credentials. Trace ID: a Correlation ID: b","error_codes":[50126]}"#,
        b"{'error': 'invalid_client', 'error_description': 'AADSTS7000215: Invalid client secret provided.', 'error_codes': [7000215]}",
        b"http://localhost:8400/?error=access_denied&error_description=AADSTS65004%3A+User+declined&state=x",
    ];
    let mut rng = Rng(7);
    for i in 0..20_000 {
        let m = mutate(&mut rng, samples[i % samples.len()]);
        if let Ok(r) = entra_explain::parse(&String::from_utf8_lossy(&m)) {
            let _ = entra_explain::explain(&r, &Default::default());
        }
    }
}

//! The simulation's one source of randomness: a ChaCha RNG seeded from the scenario's seed, so the
//! same seed and the same inputs produce the same cluster, natively and in the browser.

use crate::api::SharedStr;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// Alphabet of apimachinery's `util/rand.String`: no vowels (no accidental words), no look-alikes.
pub const NAME_SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// The seeded RNG every random choice of the simulation goes through.
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        SimRng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// `n` random characters from [`NAME_SUFFIX_ALPHABET`], as `generateName` appends 5 of them.
    pub fn name_suffix(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        self.push_name_suffix(&mut s, n);
        s
    }

    /// Appends [`SimRng::name_suffix`]`(n)` to `out` (the same draws, no string of its own).
    pub fn push_name_suffix(&mut self, out: &mut String, n: usize) {
        for _ in 0..n {
            let i = self.below(NAME_SUFFIX_ALPHABET.len() as u64) as usize;
            out.push(NAME_SUFFIX_ALPHABET[i] as char);
        }
    }

    /// A uniform integer in `0..n` (0 when `n` is 0), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.0.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A random RFC 4122 version-4 UID string, as the API server assigns `metadata.uid`.
    pub fn uid(&mut self) -> SharedStr {
        let mut b = [0u8; 16];
        self.0.fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        // 8-4-4-4-12 hex digits, written straight into one string (every object gets a UID).
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = [0u8; 36];
        let mut at = 0;
        for (i, x) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s[at] = b'-';
                at += 1;
            }
            s[at] = HEX[usize::from(x >> 4)];
            s[at + 1] = HEX[usize::from(x & 0x0f)];
            at += 2;
        }
        // Only ASCII hex digits and dashes were written, so this never falls back.
        SharedStr::new(std::str::from_utf8(&s).unwrap_or_default())
    }
}

impl RngCore for SimRng {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_names() {
        let (mut a, mut b) = (SimRng::new(7), SimRng::new(7));
        assert_eq!(a.name_suffix(5), b.name_suffix(5));
        assert_ne!(SimRng::new(7).name_suffix(5), SimRng::new(8).name_suffix(5));
    }

    #[test]
    fn suffixes_use_only_the_apimachinery_alphabet() {
        let mut r = SimRng::new(1);
        for _ in 0..200 {
            let s = r.name_suffix(5);
            assert_eq!(s.len(), 5);
            assert!(s.bytes().all(|c| NAME_SUFFIX_ALPHABET.contains(&c)), "{s}");
        }
    }

    #[test]
    fn uids_look_like_v4_uuids() {
        let u = SimRng::new(3).uid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}

//! Random streams keyed by `(seed, object, index)`.
//!
//! Every random draw in neurodyn comes from a stream named by what it is for (`"init"`,
//! `"train_batch"`, …) and an index (a training step, a neuron, an initial condition). The
//! stream's seed is a hash of the three, so a draw depends only on its key: not on how many
//! threads run, nor on what was drawn before. A resumed training run therefore sees the same
//! batches as an uninterrupted one without storing any generator state.

use rand::SeedableRng;

/// The generator behind every stream: PCG-64 (O'Neill 2014), small state and fast.
pub type Stream = rand_pcg::Pcg64Mcg;

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 64-bit FNV-1a of a name, stable across platforms and Rust versions (unlike `DefaultHasher`).
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// The key of a stream as a 128-bit generator seed.
pub fn key(seed: u64, object: &str, index: u64) -> u128 {
    let a = mix(seed ^ mix(name_hash(object)));
    let b = mix(a ^ mix(index.wrapping_add(0x5851_F42D_4C95_7F2D)));
    ((a as u128) << 64) | b as u128
}

/// A fresh generator for `(seed, object, index)`.
pub fn stream(seed: u64, object: &str, index: u64) -> Stream {
    let k = key(seed, object, index);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&k.to_le_bytes());
    Stream::from_seed(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn same_key_same_draws_and_different_keys_differ() {
        let draw = |s, o, i| -> [u64; 4] {
            let mut r = stream(s, o, i);
            [r.random(), r.random(), r.random(), r.random()]
        };
        assert_eq!(draw(1, "init", 0), draw(1, "init", 0));
        assert_ne!(draw(1, "init", 0), draw(2, "init", 0));
        assert_ne!(draw(1, "init", 0), draw(1, "batch", 0));
        assert_ne!(draw(1, "init", 0), draw(1, "init", 1));
    }

    #[test]
    fn key_is_stable_across_releases() {
        // Changing the key derivation silently changes every seeded result; this pins it.
        assert_eq!(name_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(name_hash("a"), 0xaf63_dc4c_8601_ec8c);
        // The whole derivation — seed, object and index mixed into the generator's seed — and
        // the generator's first draw, as this code computed them when they were pinned.
        assert_eq!(key(1, "init", 0), 309843314491540183738926166066446911366);
        assert_eq!(key(1, "init", 7), 309843314491540183737332191167091272106);
        assert_eq!(key(u64::MAX, "train_batch", 3), 123475223091969470451543813910829115668);
        assert_eq!(stream(1, "init", 0).random::<u64>(), 17861364175697169421);
    }
}

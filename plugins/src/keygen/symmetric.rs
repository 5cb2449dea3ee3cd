//! Symmetric keys: random bytes from the system source, after checking that the algorithm, bit
//! length and mode make a key some cipher or MAC can use.

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::{KeyGenError, normalise};

const AES_BITS: [u32; 3] = [128, 192, 256];
/// XTS takes two AES keys; IEEE 1619 defines XTS-AES-128 and XTS-AES-256 only.
const AES_XTS_BITS: [u32; 2] = [256, 512];
const HMAC_ALGORITHMS: [&str; 4] = ["hmacsha1", "hmacsha256", "hmacsha384", "hmacsha512"];
/// Barbican's `SYMMETRIC_KEY_LENGTHS`, which its simple_crypto applies to HMAC keys too.
const HMAC_BITS: [u32; 4] = [64, 128, 192, 256];

pub(super) fn generate(
    rng: &SystemRandom,
    algorithm: &str,
    bit_length: u32,
    mode: Option<&str>,
) -> Result<Zeroizing<Vec<u8>>, KeyGenError> {
    let algorithm = normalise(Some(algorithm)).unwrap_or_default();
    let mode = normalise(mode);
    let invalid = |reason| KeyGenError::invalid(&algorithm, bit_length, mode.as_deref(), reason);

    let (allowed, reason): (&[u32], &'static str) = match (algorithm.as_str(), mode.as_deref()) {
        ("aes", None | Some("cbc" | "ctr" | "gcm")) => (&AES_BITS, "bit_length must be 128, 192 or 256"),
        ("aes", Some("xts")) => {
            (&AES_XTS_BITS, "xts takes two AES-128 or AES-256 keys, so bit_length must be 256 or 512")
        }
        ("aes", Some(_)) => return Err(invalid("mode must be cbc, ctr, gcm or xts")),
        (hmac, None) if HMAC_ALGORITHMS.contains(&hmac) => (&HMAC_BITS, "bit_length must be 64, 128, 192 or 256"),
        (hmac, Some(_)) if HMAC_ALGORITHMS.contains(&hmac) => return Err(invalid("HMAC keys take no mode")),
        _ => return Err(KeyGenError::UnsupportedAlgorithm { algorithm }),
    };
    if !allowed.contains(&bit_length) {
        return Err(invalid(reason));
    }

    // Every accepted length is a multiple of 8 and at most 512 bits.
    let mut key = Zeroizing::new(vec![0u8; (bit_length / 8) as usize]);
    rng.fill(&mut key).map_err(|_| KeyGenError::Random)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keygen::{KeyGenPlugin, KeyGenerator};

    #[test]
    fn every_supported_combination_has_the_right_length_and_is_random() {
        let plugin = KeyGenPlugin::new();
        let mut cases: Vec<(&str, u32, Option<&str>)> = Vec::new();
        for bits in AES_BITS {
            for mode in [None, Some("cbc"), Some("ctr"), Some("gcm")] {
                cases.push(("aes", bits, mode));
            }
        }
        for bits in AES_XTS_BITS {
            cases.push(("aes", bits, Some("xts")));
        }
        for alg in HMAC_ALGORITHMS {
            for bits in HMAC_BITS {
                cases.push((alg, bits, None));
            }
        }
        for (alg, bits, mode) in cases {
            let a = plugin.generate_symmetric(alg, bits, mode).unwrap_or_else(|e| panic!("{alg}/{bits}/{mode:?}: {e}"));
            let b = plugin.generate_symmetric(alg, bits, mode).unwrap_or_else(|e| panic!("{alg}/{bits}/{mode:?}: {e}"));
            assert_eq!(a.len() * 8, bits as usize, "{alg}/{bits}/{mode:?}");
            assert_ne!(*a, *b, "two {alg}/{bits} keys are equal");
        }
    }

    #[test]
    fn names_are_case_insensitive_and_blank_mode_is_none() {
        let plugin = KeyGenPlugin::new();
        assert_eq!(plugin.generate_symmetric("AES", 256, Some("GCM")).map(|k| k.len()).ok(), Some(32));
        assert_eq!(plugin.generate_symmetric("HmacSHA256", 256, Some("")).map(|k| k.len()).ok(), Some(32));
    }

    #[test]
    fn unknown_algorithms_are_not_supported() {
        let plugin = KeyGenPlugin::new();
        // des/3des are in Barbican's list but broken; rsa is asymmetric.
        for alg in ["des", "3des", "rsa", "chacha20", "", "hmacmd5"] {
            let err = plugin.generate_symmetric(alg, 128, None).unwrap_err();
            assert!(matches!(err, KeyGenError::UnsupportedAlgorithm { .. }), "{alg}: {err:?}");
            assert_eq!(err.to_string(), "Secret generate supported plugin not found.");
        }
    }

    #[test]
    fn bad_lengths_and_modes_are_invalid_parameters() {
        let plugin = KeyGenPlugin::new();
        let refused = [
            ("aes", 64, None),
            ("aes", 0, None),
            ("aes", 512, None),
            ("aes", 129, Some("cbc")),
            ("aes", 384, Some("gcm")),
            ("aes", 128, Some("xts")),
            ("aes", 384, Some("xts")),
            ("aes", u32::MAX, Some("xts")),
            ("aes", 256, Some("ecb")),
            ("hmacsha256", 512, None),
            ("hmacsha512", 8, None),
            ("hmacsha1", 0, None),
            ("hmacsha256", 256, Some("cbc")),
        ];
        for (alg, bits, mode) in refused {
            let err = plugin.generate_symmetric(alg, bits, mode).unwrap_err();
            assert!(matches!(err, KeyGenError::InvalidParameters { .. }), "{alg}/{bits}/{mode:?}: {err:?}");
            assert_eq!(err.status_code(), 400);
        }
    }
}

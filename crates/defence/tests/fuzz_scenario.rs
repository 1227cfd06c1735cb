//! Property tests for the scenario TOML reader (outside input: a user's scenario file): arbitrary
//! text and one-byte mutations of the built-in scenario never panic; an error names the file.

use defence::scenario::{EUROPE_2008_TOML, Scenario};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        if let Err(e) = Scenario::parse(&s, "fuzz.toml") {
            prop_assert!(e.to_string().contains("fuzz.toml"), "{e}");
        }
    }

    #[test]
    fn mutated_builtin_never_panics(at in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let mut b = EUROPE_2008_TOML.as_bytes().to_vec();
        let i = at.index(b.len());
        b[i] ^= xor;
        if let Ok(text) = std::str::from_utf8(&b)
            && let Err(e) = Scenario::parse(text, "fuzz.toml")
        {
            prop_assert!(e.to_string().contains("fuzz.toml"), "{e}");
        }
    }
}

//! The unified social credit code (统一社会信用代码, GB 32100-2015).

use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A credit code whose characters and check character are right.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a credit code has 18 characters, got {0}")]
    Length(usize),
    #[error("character {position} (`{found}`) is not allowed in a credit code")]
    Character { position: usize, found: char },
    #[error("characters 3-8 must be a region code (digits), found `{0}`")]
    Region(String),
    #[error("the check character is `{found}`, but the code computes to `{expected}`")]
    Checksum { expected: char, found: char },
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|i| i as u32)
}

/// The check character for the first 17 characters (already validated).
fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| value(*c).unwrap_or(0) * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    ALPHABET[check as usize] as char
}

impl CreditCode {
    /// Parses a code, upper-casing it; every error names what is wrong.
    pub fn parse(raw: &str) -> Result<CreditCode, CreditCodeError> {
        let (code, checksum) = Self::parse_lenient(raw)?;
        checksum.map(|()| code)
    }

    /// Checks everything but the check character, and reports that
    /// separately: an administrator may accept a pilot-era code that fails it.
    #[allow(clippy::type_complexity)]
    pub fn parse_lenient(
        raw: &str,
    ) -> Result<(CreditCode, Result<(), CreditCodeError>), CreditCodeError> {
        let s = raw.trim().to_ascii_uppercase();
        let count = s.chars().count();
        if count != 18 {
            return Err(CreditCodeError::Length(count));
        }
        for (i, c) in s.chars().enumerate() {
            if !c.is_ascii() || value(c as u8).is_none() {
                return Err(CreditCodeError::Character {
                    position: i + 1,
                    found: c,
                });
            }
        }
        let bytes = s.as_bytes();
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(CreditCodeError::Region(s[2..8].to_string()));
        }
        let expected = check_char(&bytes[..17]);
        let found = bytes[17] as char;
        let checksum = if expected == found {
            Ok(())
        } else {
            Err(CreditCodeError::Checksum { expected, found })
        };
        Ok((CreditCode(s), checksum))
    }

    /// Completes 17 characters with their check character (generated data:
    /// the demo's enterprises). None when the 17 are not a code's body.
    pub fn complete(first17: &str) -> Option<CreditCode> {
        if first17.len() != 17 {
            return None;
        }
        let code = format!("{first17}{}", check_char(first17.as_bytes()));
        CreditCode::parse(&code).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The region code in characters 3-8.
    pub fn region(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_completed_body_is_a_valid_code() {
        let code = CreditCode::complete("91310115591693856").unwrap();
        assert_eq!(code.as_str(), "91310115591693856A");
        assert!(CreditCode::complete("9131011559169385").is_none());
        assert!(CreditCode::complete("91ABCDEF591693856").is_none());
    }

    #[test]
    fn known_codes_are_valid() {
        for code in ["91310110666007217T", "91310115591693856A"] {
            assert_eq!(CreditCode::parse(code).unwrap().as_str(), code);
        }
        assert_eq!(
            CreditCode::parse("91310115591693856a").unwrap().region(),
            "310115"
        );
    }

    #[test]
    fn each_error_says_what_is_wrong() {
        assert_eq!(
            CreditCode::parse("9131011566600721"),
            Err(CreditCodeError::Length(16))
        );
        assert_eq!(
            CreditCode::parse("91310110666007217O"),
            Err(CreditCodeError::Character {
                position: 18,
                found: 'O'
            })
        );
        assert_eq!(
            CreditCode::parse("91310110666007217U"),
            Err(CreditCodeError::Checksum {
                expected: 'T',
                found: 'U'
            })
        );
        assert!(matches!(
            CreditCode::parse("91A10110666007217T"),
            Err(CreditCodeError::Region(_))
        ));
        for bad in ['I', 'O', 'S', 'V', 'Z'] {
            let code = format!("9131011066600721{bad}T");
            assert!(matches!(
                CreditCode::parse(&code),
                Err(CreditCodeError::Character { position: 17, .. })
            ));
        }
    }

    proptest! {
        #[test]
        fn a_computed_check_character_always_validates(body in "[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{9}") {
            let check = check_char(body.as_bytes());
            let code = format!("{body}{check}");
            prop_assert!(CreditCode::parse(&code).is_ok());
            // Any other check character fails.
            for c in ALPHABET.iter().map(|c| *c as char).filter(|c| *c != check) {
                let wrong = format!("{body}{c}");
                let is_checksum_error = matches!(CreditCode::parse(&wrong), Err(CreditCodeError::Checksum { .. }));
                prop_assert!(is_checksum_error);
            }
        }
    }
}

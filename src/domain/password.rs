//! The password policy: long enough, not the e-mail, not a common password.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::email::Email;
use super::words::Phrase;

const COMMON: &str = include_str!("../seed/common_passwords.txt");
pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Each rule a password breaks, so the user can fix all at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRule {
    TooShort,
    TooLong,
    SameAsEmail,
    Common,
}

impl PasswordRule {
    /// What the rule asks, as a key of the word catalogues.
    pub fn phrase(self) -> Phrase {
        match self {
            PasswordRule::TooShort => {
                Phrase::with("password.too_short", [("n", MIN_LENGTH.to_string())])
            }
            PasswordRule::TooLong => {
                Phrase::with("password.too_long", [("n", MAX_LENGTH.to_string())])
            }
            PasswordRule::SameAsEmail => Phrase::new("password.same_as_email"),
            PasswordRule::Common => Phrase::new("password.common"),
        }
    }
}

/// The rules `password` breaks for the account `email`; empty when it is acceptable.
pub fn check_password(password: &str, email: &Email) -> Vec<PasswordRule> {
    let mut broken = Vec::new();
    let length = password.chars().count();
    if length < MIN_LENGTH {
        broken.push(PasswordRule::TooShort);
    }
    if length > MAX_LENGTH {
        broken.push(PasswordRule::TooLong);
    }
    let lowered = password.trim().to_lowercase();
    let local = email.as_str().split('@').next().unwrap_or_default();
    if lowered == email.as_str() || lowered == local {
        broken.push(PasswordRule::SameAsEmail);
    }
    if common().contains(lowered.as_str()) {
        broken.push(PasswordRule::Common);
    }
    broken
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn email() -> Email {
        Email::parse("zhang.san@example.cn").unwrap()
    }

    #[test]
    fn each_rule_has_its_own_refusal() {
        assert_eq!(check_password("short", &email()), [PasswordRule::TooShort]);
        assert_eq!(
            check_password("Zhang.San@Example.cn", &email()),
            [PasswordRule::SameAsEmail]
        );
        assert_eq!(
            check_password("1234567890", &email()),
            [PasswordRule::Common]
        );
        assert_eq!(
            check_password("QWERTYUIOP", &email()),
            [PasswordRule::Common]
        );
        assert!(check_password("供应链-畅通-2022-春", &email()).is_empty());
        assert_eq!(
            check_password(&"x".repeat(300), &email()),
            [PasswordRule::TooLong]
        );
    }

    #[test]
    fn the_common_list_is_shipped() {
        assert!(common().len() > 100);
        assert!(common().iter().all(|p| p.chars().count() >= MIN_LENGTH));
    }

    proptest! {
        #[test]
        fn long_random_passwords_pass(p in "[a-zA-Z0-9!#%&]{24,40}") {
            prop_assert!(check_password(&p, &email()).is_empty());
        }

        #[test]
        fn anything_shorter_than_the_minimum_fails(p in "\\PC{0,9}") {
            prop_assert!(check_password(&p, &email()).contains(&PasswordRule::TooShort));
        }
    }
}

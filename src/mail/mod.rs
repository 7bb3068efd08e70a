//! Outgoing mail: what each kind of message says (templates and their
//! context, pure) and how it leaves the building (SMTP or `.eml` files).

pub mod context;
pub mod templates;
pub mod transport;

use crate::domain::notify::Notice;

/// The language a message is written in: the recipient's locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    Zh,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Zh, Locale::En];

    /// Anything but `en` reads Chinese.
    pub fn parse(s: &str) -> Locale {
        if s.trim().eq_ignore_ascii_case("en") {
            Locale::En
        } else {
            Locale::Zh
        }
    }

    pub fn strict(s: &str) -> Option<Locale> {
        Locale::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Zh => "zh",
            Locale::En => "en",
        }
    }
}

/// A kind of message: a ticket notice, or one of the account e-mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MailKind {
    Notice(Notice),
    Activation,
    PasswordReset,
    /// To an enterprise's previous contact address, when staff change it.
    ContactChanged,
    /// To whoever decides a request to speak for an enterprise.
    JoinRequested,
    /// To the person who asked, once the request is decided.
    JoinDecided,
}

impl MailKind {
    pub fn all() -> impl Iterator<Item = MailKind> {
        Notice::ALL.into_iter().map(MailKind::Notice).chain([
            MailKind::Activation,
            MailKind::PasswordReset,
            MailKind::ContactChanged,
            MailKind::JoinRequested,
            MailKind::JoinDecided,
        ])
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Notice(n) => n.as_str(),
            MailKind::Activation => "activation",
            MailKind::PasswordReset => "password_reset",
            MailKind::ContactChanged => "contact_changed",
            MailKind::JoinRequested => "join_requested",
            MailKind::JoinDecided => "join_decided",
        }
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        MailKind::all().find(|k| k.as_str() == s)
    }

    /// Carries a secret link: its parameters are wiped once it is sent.
    pub fn is_secret(self) -> bool {
        matches!(self, MailKind::Activation | MailKind::PasswordReset)
    }
}

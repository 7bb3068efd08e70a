//! What went wrong, as a key of the word catalogues with its arguments:
//! the domain and the services say it, the faces render it in the
//! reader's language (`crate::words::phrase`). The texts live in
//! `locales/zh.toml` and `locales/en.toml`, never here.

/// A catalogue key (`field.name_length`) and the values of its `{name}`
/// placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Phrase {
    /// A text without placeholders.
    pub fn new(key: &'static str) -> Phrase {
        Phrase {
            key,
            args: Vec::new(),
        }
    }

    /// A text with its placeholders' values.
    pub fn with<const N: usize>(key: &'static str, args: [(&'static str, String); N]) -> Phrase {
        Phrase {
            key,
            args: args.into(),
        }
    }

    /// The value of one placeholder, if given.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

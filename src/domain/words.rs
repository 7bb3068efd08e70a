//! What went wrong, as a key of the word catalogues with its arguments:
//! the domain and the services say it, the faces render it in the
//! reader's language (`crate::words::phrase`). The texts live in
//! `locales/zh.toml` and `locales/en.toml`, never here.

/// A catalogue key (`field.name_length`), the values of its `{name}`
/// placeholders, and the placeholders filled with a word of the
/// catalogue itself (a status, a field's name) in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub key: String,
    pub args: Vec<(&'static str, String)>,
    /// Placeholders filled with the text of another key (`status.handling`).
    pub words: Vec<(&'static str, String)>,
}

impl Phrase {
    /// A text without placeholders.
    pub fn new(key: impl Into<String>) -> Phrase {
        Phrase {
            key: key.into(),
            args: Vec::new(),
            words: Vec::new(),
        }
    }

    /// A text with its placeholders' values.
    pub fn with<const N: usize>(key: &'static str, args: [(&'static str, String); N]) -> Phrase {
        Phrase {
            args: args.into(),
            ..Phrase::new(key)
        }
    }

    /// Fills a placeholder with the text of another key.
    pub fn word(mut self, name: &'static str, key: impl Into<String>) -> Phrase {
        self.words.push((name, key.into()));
        self
    }

    /// The value of one placeholder, if given.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

//! Every user-facing word: one catalogue per language (`locales/zh.toml`,
//! `locales/en.toml`), embedded in the binary and parsed once, read by the
//! pages, the API's problem details, the command line and the imports'
//! error reports. Keys are dotted, by area: `admin_sla.title` is `title`
//! in `[admin_sla]`. A text with `{name}` placeholders is filled with
//! [`fill`]; the domain and the services say what went wrong as a
//! [`Phrase`] (a key with its arguments), rendered here with [`phrase`].
//! The tests below check that both files hold the same keys and
//! placeholders, and that every key the sources use exists and every key
//! is used.

use std::collections::HashMap;
use std::sync::LazyLock;

pub use crate::domain::words::Phrase;

const ZH: &str = include_str!("../locales/zh.toml");
const EN: &str = include_str!("../locales/en.toml");

/// The language a reader gets: Simplified Chinese unless they ask for
/// English (`http::lang` reads it from a request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

type Catalogue = HashMap<String, String>;

/// `[area] key = "text"` as `area.key -> text`.
fn parse(source: &str) -> Catalogue {
    let table: toml::Table = toml::from_str(source).expect("the page catalogues parse");
    let mut out = Catalogue::new();
    for (area, entries) in table {
        let entries = entries.as_table().expect("a catalogue area is a table");
        for (key, text) in entries {
            let text = text.as_str().expect("a catalogue text is a string");
            out.insert(format!("{area}.{key}"), text.to_string());
        }
    }
    out
}

static CATALOGUES: LazyLock<(Catalogue, Catalogue)> = LazyLock::new(|| (parse(ZH), parse(EN)));

fn catalogue(lang: Lang) -> &'static Catalogue {
    match lang {
        Lang::Zh => &CATALOGUES.0,
        Lang::En => &CATALOGUES.1,
    }
}

/// The language of a page that knows only whether it is English.
pub fn lang_of(en: bool) -> Lang {
    if en {
        Lang::En
    } else {
        Lang::Zh
    }
}

/// The text of a key in a language. A key missing from the catalogue (the
/// tests make sure none is) is logged and shown as an empty text, never as
/// the key itself.
pub fn text(lang: Lang, key: &str) -> &'static str {
    match catalogue(lang).get(key) {
        Some(text) => text,
        None => {
            tracing::error!(key, "no text in the page catalogue");
            ""
        }
    }
}

/// The text of a key, if the catalogue has it: for words of codes, where
/// a code the catalogue does not know shows as itself.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    catalogue(lang).get(key).map(String::as_str)
}

/// The text of a key, owned (where a page keeps it in a `String`).
pub fn say(lang: Lang, key: &str) -> String {
    text(lang, key).to_string()
}

/// The text of a key with its `{name}` placeholders filled in.
pub fn fill(lang: Lang, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = text(lang, key).to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// A phrase's text in a language, its arguments filled in.
pub fn phrase(lang: Lang, p: &Phrase) -> String {
    let mut out = text(lang, &p.key).to_string();
    for (name, key) in &p.words {
        out = out.replace(&format!("{{{name}}}"), text(lang, key));
    }
    for (name, value) in &p.args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A span before or past a deadline, in the unit its window counts in:
/// "剩余 2 个工作日 3 小时", "已超时 4 个工作日", "剩余 25 分钟" (wall
/// time), "剩余 1 小时 40 分钟（工作时间）". Pages, e-mails and exports
/// all say it this way.
pub fn time_left(lang: Lang, t: &crate::domain::sla::TimeLeft) -> String {
    use crate::domain::sla::Measure;
    let working = t.measure == Measure::Working;
    let mut parts = Vec::new();
    match t.days {
        0 => {}
        1 if working => parts.push(say(lang, "duration.working_day")),
        n if working => parts.push(fill(lang, "duration.working_days", &[("n", &n)])),
        n => parts.push(fill(lang, "duration.days", &[("n", &n)])),
    }
    if t.hours > 0 {
        parts.push(fill(lang, "duration.hours", &[("n", &t.hours)]));
    }
    if t.minutes > 0 || parts.is_empty() {
        parts.push(fill(lang, "duration.minutes", &[("n", &t.minutes)]));
    }
    let span = parts.join(" ");
    // Hours and minutes alone do not say whose: working time says so.
    let key = match (t.overdue, working && t.days == 0) {
        (false, false) => "duration.left",
        (false, true) => "duration.left_working",
        (true, false) => "duration.overdue",
        (true, true) => "duration.overdue_working",
    };
    fill(lang, key, &[("span", &span)])
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// The `{name}` placeholders of a text.
    fn placeholders(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let after = &rest[start + 1..];
            match after.find('}') {
                Some(end) => {
                    out.insert(after[..end].to_string());
                    rest = &after[end + 1..];
                }
                None => break,
            }
        }
        out
    }

    #[test]
    fn both_languages_have_every_key_with_the_same_placeholders() {
        let (zh, en) = (&CATALOGUES.0, &CATALOGUES.1);
        let zh_keys: BTreeSet<&String> = zh.keys().collect();
        let en_keys: BTreeSet<&String> = en.keys().collect();
        assert_eq!(
            zh_keys.symmetric_difference(&en_keys).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "keys in one catalogue only"
        );
        for (key, zh_text) in zh {
            let en_text = &en[key];
            assert!(!zh_text.trim().is_empty(), "{key}: empty in zh");
            assert!(!en_text.trim().is_empty(), "{key}: empty in en");
            // A value kept in both languages (a category's name) is
            // passed twice, `name_zh` and `name_en`: each text uses its own.
            let same = |text: &str, lang: &str| -> BTreeSet<String> {
                placeholders(text)
                    .into_iter()
                    .map(|p| p.strip_suffix(lang).map_or(p.clone(), |b| format!("{b}_*")))
                    .collect()
            };
            assert_eq!(
                same(zh_text, "_zh"),
                same(en_text, "_en"),
                "{key}: placeholders differ"
            );
        }
    }

    #[test]
    fn chinese_texts_name_no_code() {
        // Latin letters only in placeholders, the names of file formats and
        // encodings, and examples of what people type (credit codes, e-mail).
        for (key, text) in &CATALOGUES.0 {
            let mut plain = text.clone();
            for p in placeholders(text) {
                plain = plain.replace(&format!("{{{p}}}"), "");
            }
            for word in plain.split(|c: char| !(c.is_ascii_alphanumeric() || c == '@' || c == '.'))
            {
                let allowed = !word.chars().any(|c| c.is_ascii_alphabetic())
                    || word.chars().any(|c| c.is_ascii_digit() || c == '@')
                    || ["CSV", "XLSX", "HTML", "JSON", "UTF"].contains(&word)
                    || ["JPEG", "PNG", "WebP", "HEIC", "PDF", "OFD", "DOCX"].contains(&word);
                assert!(allowed, "{key}: {text}");
            }
        }
    }

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
                out.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }

    /// Every `"area.key"` in the sources that names a catalogue area (any text
    /// between two quotes: in templates, keys sit inside quoted attributes).
    fn used_keys() -> Vec<(String, String)> {
        let areas: BTreeSet<&str> = CATALOGUES
            .0
            .keys()
            .map(|k| k.split('.').next().unwrap())
            .collect();
        let mut files = Vec::new();
        sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut out = Vec::new();
        for (path, text) in files {
            for literal in text.split('"') {
                let Some((area, key)) = literal.split_once('.') else {
                    continue;
                };
                let file = [
                    ".html", ".rs", ".css", ".js", ".svg", ".csv", ".xlsx", ".toml",
                ]
                .iter()
                .any(|ext| literal.ends_with(ext));
                let is_key = !file
                    && areas.contains(area)
                    && !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if is_key {
                    out.push((path.clone(), literal.to_string()));
                }
            }
            // A ticket rule's refusal reads as `refusal.<code>`.
            for (at, _) in text.match_indices("Refusal::Rule {") {
                let rest = &text[at..];
                let code = rest
                    .split_once("code: \"")
                    .and_then(|(_, after)| after.split_once('"'))
                    .map(|(code, _)| code);
                if let Some(code) = code.filter(|c| !c.contains(' ')) {
                    out.push((path.clone(), format!("refusal.{code}")));
                }
            }
        }
        out
    }

    #[test]
    fn every_key_used_exists_and_every_key_is_used() {
        let used = used_keys();
        for (path, key) in &used {
            assert!(
                CATALOGUES.0.contains_key(key),
                "{path}: {key} is not in the catalogue"
            );
        }
        let used: BTreeSet<&str> = used.iter().map(|(_, k)| k.as_str()).collect();
        // Words of codes are looked up by code (`labels::word`); their
        // areas are checked against the codes in `labels`' tests.
        // So are the names of an action's text fields
        // (`domain::ticket::Refusal::phrase`).
        let by_code = |k: &str| {
            let area = k.split('.').next().unwrap();
            crate::http::pages::CODE_AREAS.contains(&area) || area == "text_field"
        };
        let unused: Vec<&String> = CATALOGUES
            .0
            .keys()
            .filter(|k| !used.contains(k.as_str()) && !by_code(k))
            .collect();
        assert!(unused.is_empty(), "keys no page uses: {unused:?}");
    }

    #[test]
    fn refusals_render_in_both_languages() {
        use crate::domain::ticket::{Refusal, Status};
        let all = [
            Refusal::WrongStatus {
                action: "sign_for",
                status: Status::Handling,
            },
            Refusal::MissingText { field: "reason" },
            Refusal::MissingText { field: "note" },
            Refusal::Rule {
                code: "transfer-to-parent",
            },
        ];
        for r in all {
            for lang in [Lang::Zh, Lang::En] {
                let said = phrase(lang, &r.phrase());
                assert!(!said.is_empty() && !said.contains('{'), "{r:?}: {said}");
            }
        }
        let zh = phrase(Lang::Zh, &all_status_refusal());
        assert_eq!(zh, "工单当前为“办理中”，不能执行“签收”。");
    }

    fn all_status_refusal() -> Phrase {
        crate::domain::ticket::Refusal::WrongStatus {
            action: "sign_for",
            status: crate::domain::ticket::Status::Handling,
        }
        .phrase()
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            placeholders("{n} 件，{who}"),
            BTreeSet::from(["n".to_string(), "who".to_string()])
        );
        assert!(!text(Lang::Zh, "page.not_found").is_empty());
        assert_eq!(text(Lang::En, "no.such_key"), "");
    }
}

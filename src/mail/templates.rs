//! Message templates: the built-in ones (`templates/zh.toml`, `en.toml`)
//! and administrators' overrides, rendered with minijinja. An override is
//! tried on sample data before it is saved, so a broken one never reaches
//! the delivery worker.

use std::collections::HashMap;
use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::context::{context, sample_params, variables};
use super::{Locale, MailKind};

/// Subject, plain-text body and HTML body (the HTML is escaped automatically).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Template {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Limits on an override, so one cannot make the worker spin or bloat mail.
const MAX_SUBJECT_CHARS: usize = 300;
const MAX_BODY_BYTES: usize = 64 * 1024;
/// The most one part of a message may render to.
const MAX_OUTPUT_BYTES: usize = 256 * 1024;

/// A buffer that refuses to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("output too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Template instructions one render may run (loops included).
const FUEL: u64 = 100_000;

static DEFAULTS: LazyLock<HashMap<(MailKind, Locale), Template>> = LazyLock::new(|| {
    let mut all = HashMap::new();
    for (locale, source) in [
        (Locale::Zh, include_str!("templates/zh.toml")),
        (Locale::En, include_str!("templates/en.toml")),
    ] {
        let table: HashMap<String, Template> =
            toml::from_str(source).expect("built-in mail templates parse");
        for (name, template) in table {
            let kind = MailKind::parse(&name).expect("built-in template of a known kind");
            all.insert((kind, locale), template);
        }
    }
    all
});

/// The built-in template of a kind in a language.
pub fn builtin(kind: MailKind, locale: Locale) -> &'static Template {
    DEFAULTS
        .get(&(kind, locale))
        .expect("a built-in template for every kind and language")
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_fuel(Some(FUEL));
    env
}

/// Why a template could not be used: which part, and minijinja's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {reason}")]
pub struct TemplateError {
    /// `subject`, `text` or `html`.
    pub part: &'static str,
    pub reason: String,
}

fn render_part(
    env: &Environment<'static>,
    part: &'static str,
    source: &str,
    ctx: &Map<String, Value>,
) -> Result<String, TemplateError> {
    let fail = |e: minijinja::Error| TemplateError {
        part,
        reason: match e.line() {
            Some(line) => format!("line {line}: {}", e.detail().unwrap_or(&e.to_string())),
            None => e.to_string(),
        },
    };
    let name = if part == "html" { "body.html" } else { part };
    // Links are built by the service, not typed by users: in HTML they are
    // escaped here without turning every `/` into an entity.
    let ctx: std::collections::BTreeMap<&str, minijinja::Value> = ctx
        .iter()
        .map(|(k, v)| {
            let value = match (k.as_str(), v) {
                ("link", Value::String(url)) if part == "html" => {
                    minijinja::Value::from_safe_string(
                        url.replace('&', "&amp;")
                            .replace('"', "&quot;")
                            .replace('<', "&lt;")
                            .replace('>', "&gt;"),
                    )
                }
                _ => minijinja::Value::from_serialize(v),
            };
            (k.as_str(), value)
        })
        .collect();
    let mut out = Capped::default();
    let rendered = env
        .template_from_named_str(name, source)
        .map_err(fail)?
        .render_captured_to(ctx, &mut out);
    match rendered {
        Ok(_) => Ok(String::from_utf8_lossy(&out.bytes).into_owned()),
        Err(_) if out.overflowed => Err(TemplateError {
            part,
            reason: format!("the output is larger than {} KiB", MAX_OUTPUT_BYTES / 1024),
        }),
        Err(e) => Err(fail(e)),
    }
}

/// Renders a template with a message's context.
pub fn render(
    template: &Template,
    ctx: &Map<String, Value>,
    locale: Locale,
) -> Result<Rendered, TemplateError> {
    let env = environment();
    let subject = render_part(&env, "subject", &template.subject, ctx)?;
    // A header is one line: line breaks a template may leave become spaces.
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    if subject.is_empty() {
        return Err(TemplateError {
            part: "subject",
            reason: "the subject is empty".into(),
        });
    }
    let text = render_part(&env, "text", &template.text, ctx)?;
    let body = render_part(&env, "html", &template.html, ctx)?;
    Ok(Rendered {
        html: html_document(&subject, &body, locale),
        subject,
        text: format!("{}\n\n-- \n{}\n", text.trim_end(), footer(locale)),
    })
}

fn footer(locale: Locale) -> &'static str {
    crate::words::text(super::context::lang(locale), "mail_text.footer")
}

fn html_document(subject: &str, body: &str, locale: Locale) -> String {
    let lang = match locale {
        Locale::Zh => "zh-CN",
        Locale::En => "en",
    };
    let title = minijinja::HtmlEscape(subject).to_string();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family:sans-serif;line-height:1.6;color:#1f2933\">\n{body}\n\
         <hr><p style=\"color:#52606d;font-size:12px\">{}</p></body></html>\n",
        footer(locale)
    )
}

/// Checks an override before it is saved: every part must compile, use only
/// the kind's variables, stay within size limits and render on sample data.
pub fn check(
    kind: MailKind,
    locale: Locale,
    template: &Template,
) -> Result<Rendered, TemplateError> {
    if template.subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(TemplateError {
            part: "subject",
            reason: format!("longer than {MAX_SUBJECT_CHARS} characters"),
        });
    }
    for (part, body) in [("text", &template.text), ("html", &template.html)] {
        if body.len() > MAX_BODY_BYTES {
            return Err(TemplateError {
                part,
                reason: format!("larger than {} KiB", MAX_BODY_BYTES / 1024),
            });
        }
        if body.trim().is_empty() {
            return Err(TemplateError {
                part,
                reason: "empty".into(),
            });
        }
    }
    let ctx = context(kind, &sample_params(kind), locale, "https://yizhan.example");
    let preview = render(template, &ctx, locale).map_err(|mut e| {
        if e.reason.contains("undefined") {
            e.reason = format!(
                "{} (variables of `{}`: {})",
                e.reason,
                kind.as_str(),
                variables(kind).join(", ")
            );
        }
        e
    })?;
    // Real data too: zero counts, empty notes, no deadline yet.
    let bare = context(
        kind,
        &serde_json::json!({}),
        locale,
        "https://yizhan.example",
    );
    render(template, &bare, locale).map_err(|mut e| {
        e.reason = format!(
            "{} (with empty values, e.g. a count of 0 or no deadline)",
            e.reason
        );
        e
    })?;
    Ok(preview)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::notify::Notice;

    #[test]
    fn every_builtin_template_renders_on_sample_data() {
        for kind in MailKind::all() {
            for locale in Locale::ALL {
                let r = check(kind, locale, builtin(kind, locale))
                    .unwrap_or_else(|e| panic!("{kind:?} {locale:?}: {e}"));
                assert!(!r.subject.contains('\n'));
                assert!(r.html.contains("https://yizhan.example/"), "{kind:?}");
                assert!(r.text.contains("https://yizhan.example/"), "{kind:?}");
            }
        }
    }

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let kind = MailKind::Notice(Notice::NewTicket);
        let mut params = sample_params(kind);
        params["title"] = "<script>alert(1)</script> & 配件".into();
        let ctx = context(kind, &params, Locale::Zh, "http://h");
        let r = render(builtin(kind, Locale::Zh), &ctx, Locale::Zh).unwrap();
        assert!(r
            .html
            .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; 配件"));
        assert!(!r.html.contains("<script>"));
        assert!(r.text.contains("<script>alert(1)</script> & 配件"));
        assert!(r
            .subject
            .starts_with("【一站】新诉求待签收：310115-20220418-0001"));
    }

    #[test]
    fn broken_overrides_are_refused_with_the_reason() {
        let kind = MailKind::Notice(Notice::Resolved);
        let good = builtin(kind, Locale::Zh).clone();
        let unknown = Template {
            subject: "{{ numbr }}".into(),
            ..good.clone()
        };
        let e = check(kind, Locale::Zh, &unknown).unwrap_err();
        assert_eq!(e.part, "subject");
        assert!(
            e.reason.contains("undefined") && e.reason.contains("number"),
            "{e}"
        );
        let unclosed = Template {
            html: "<p>{% if note %}{{ note }}</p>".into(),
            ..good.clone()
        };
        let e = check(kind, Locale::Zh, &unclosed).unwrap_err();
        assert_eq!(e.part, "html");
        let endless = Template {
            text:
                "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
                    .into(),
            ..good.clone()
        };
        assert_eq!(check(kind, Locale::Zh, &endless).unwrap_err().part, "text");
        assert!(check(kind, Locale::En, &good).is_ok());
        let divides = Template {
            text: "{{ 100 // days_overdue }}".into(),
            ..good.clone()
        };
        assert_eq!(
            check(MailKind::Notice(Notice::Overdue), Locale::Zh, &divides)
                .unwrap_err()
                .part,
            "text"
        );
        let huge = Template {
            html: "{% for i in range(60) %}{{ 'x' * 1000000 }}{% endfor %}".into(),
            ..good
        };
        let e = check(kind, Locale::Zh, &huge).unwrap_err();
        assert!(e.reason.contains("larger than 256 KiB"), "{e}");
    }

    #[test]
    fn secret_kinds_agree_with_the_outbox() {
        for kind in MailKind::all() {
            assert_eq!(
                kind.is_secret(),
                crate::storage::outbox::SECRET_KINDS.contains(&kind.as_str())
            );
        }
    }
}

//! The language a reader gets: Simplified Chinese unless they ask for English.

use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::HttpRequest;

pub use crate::words::Lang;

impl Lang {
    /// Picks the language from `?lang=` or `Accept-Language` (by q-value).
    pub fn from_request(req: &HttpRequest) -> Lang {
        let from_query = req
            .query_string()
            .split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
            .and_then(Lang::from_tag);
        if let Some(lang) = from_query {
            return lang;
        }
        req.headers()
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::from_accept_language)
            .unwrap_or_default()
    }

    fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The supported language with the highest q-value; Chinese by default.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_unless_english_is_preferred() {
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("fr;q=1, en;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=0.3, zh;q=0.7"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("de, fr"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en;q=0"), Lang::Zh);
    }
}

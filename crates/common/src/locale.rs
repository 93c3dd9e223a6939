//! Response language: `Accept-Language` (with q-values) picks Arabic or English.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
    Ar,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ar => "ar",
        }
    }

    pub fn parse_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next().unwrap_or("").trim();
        if primary.eq_ignore_ascii_case("ar") {
            Some(Self::Ar)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Self::En)
        } else {
            None
        }
    }

    /// Picks the supported language with the highest q-value; ties keep header order, and a
    /// header naming nothing we speak yields `default`.
    pub fn negotiate(header: Option<&str>, default: Locale) -> Locale {
        let Some(header) = header else { return default };
        let mut best: Option<(f32, Locale)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next()
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            let candidate = if tag == "*" {
                Some(default)
            } else {
                Self::parse_tag(tag)
            };
            if let Some(locale) = candidate
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, locale));
            }
        }
        best.map_or(default, |(_, l)| l)
    }
}

/// A text kept in both languages; catalogs are written with these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Localized {
    pub en: &'static str,
    pub ar: &'static str,
}

impl Localized {
    pub const fn new(en: &'static str, ar: &'static str) -> Self {
        Self { en, ar }
    }

    pub fn get(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::En => self.en,
            Locale::Ar => self.ar,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiate_honours_q_values() {
        assert_eq!(
            Locale::negotiate(Some("en;q=0.5, ar;q=0.9"), Locale::En),
            Locale::Ar
        );
        assert_eq!(
            Locale::negotiate(Some("ar-SA,en;q=0.8"), Locale::En),
            Locale::Ar
        );
        assert_eq!(
            Locale::negotiate(Some("fr, en-GB;q=0.7"), Locale::Ar),
            Locale::En
        );
    }

    #[test]
    fn negotiate_falls_back_to_default_when_nothing_matches() {
        assert_eq!(Locale::negotiate(Some("fr, de"), Locale::Ar), Locale::Ar);
        assert_eq!(Locale::negotiate(None, Locale::En), Locale::En);
        assert_eq!(Locale::negotiate(Some("ar;q=0"), Locale::En), Locale::En);
    }
}

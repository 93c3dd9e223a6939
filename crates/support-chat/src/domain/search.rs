//! FAQ search, pure: text normalized so that spellings a reader takes for the same word
//! match (Arabic diacritics and tatweel dropped, hamza forms of alef, taa marbuta and alef
//! maqsura folded, Latin lower-cased, the Arabic article taken off), and a ranking where
//! entries matching every query word come before those matching some, and a match in the
//! question counts more than one in the answer.

/// The text folded for matching.
pub fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| !is_mark(*c))
        .map(|c| match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ة' => 'ه',
            'ى' => 'ي',
            'ؤ' => 'و',
            'ئ' => 'ي',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Arabic diacritics (harakat, tanween, shadda, sukun, dagger alef) and tatweel.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' | '\u{06D6}'..='\u{06ED}')
}

/// The words of a normalized text: letters and digits, the Arabic article dropped from words
/// long enough to carry it.
pub fn words(text: &str) -> Vec<String> {
    normalize(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| match w.strip_prefix("ال") {
            Some(rest) if rest.chars().count() >= 2 => rest.to_owned(),
            _ => w.to_owned(),
        })
        .collect()
}

/// How well a text matches: a word matches a word of the text that starts with it
/// (`refund` finds `refunds`).
fn hits(query: &[String], text: &[String]) -> Vec<bool> {
    query
        .iter()
        .map(|q| text.iter().any(|w| w.starts_with(q.as_str())))
        .collect()
}

/// A document's rank for a query: (query words found anywhere, found in the title, found in
/// the body) — compared in that order, so all-words matches lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Score {
    pub matched: usize,
    pub in_title: usize,
    pub in_body: usize,
}

/// Scores `title` and `body` (several languages' texts may be given) against `query`; `None`
/// when no word matches.
pub fn score(query: &[String], titles: &[&str], bodies: &[&str]) -> Option<Score> {
    let title_words: Vec<String> = titles.iter().flat_map(|t| words(t)).collect();
    let body_words: Vec<String> = bodies.iter().flat_map(|b| words(b)).collect();
    let in_title = hits(query, &title_words);
    let in_body = hits(query, &body_words);
    let matched = in_title
        .iter()
        .zip(&in_body)
        .filter(|(t, b)| **t || **b)
        .count();
    (matched > 0).then(|| Score {
        matched,
        in_title: in_title.iter().filter(|h| **h).count(),
        in_body: in_body.iter().filter(|h| **h).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_spellings_fold_together() {
        assert_eq!(normalize("إِرْجَاع"), normalize("ارجاع"));
        assert_eq!(normalize("أمان"), "امان");
        assert_eq!(normalize("آمنة"), "امنه");
        assert_eq!(normalize("مستشفى"), "مستشفي");
        assert_eq!(normalize("طـــلب"), "طلب");
        assert_eq!(words("الاسترداد Refunds"), vec!["استرداد", "refunds"]);
        // A short word keeps what looks like an article.
        assert_eq!(words("ال"), vec!["ال"]);
    }

    #[test]
    fn every_word_beats_some_and_titles_beat_bodies() {
        let q = words("track order");
        let both = score(&q, &["How do I track my order?"], &["Open Orders."]).unwrap();
        let one = score(&q, &["Tracking a parcel"], &["Use the courier's page."]).unwrap();
        let body_only = score(&q, &["Shipping"], &["You can track each order."]).unwrap();
        assert!(both > one);
        assert!(both > body_only);
        assert_eq!(body_only.matched, 2);
        assert!(score(&q, &["Payments"], &["Cards and wallets"]).is_none());
    }
}

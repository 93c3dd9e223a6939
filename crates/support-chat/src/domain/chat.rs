//! Chat rules, pure: session states, who may write, the wait estimate and durations in
//! words.

use cid_common::locale::Locale;

cid_common::text_enum! {
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[schema(as = ChatStatus)]
    #[serde(rename_all = "lowercase")]
    pub enum SessionStatus {
        Waiting = "waiting",
        Active = "active",
        Closed = "closed",
    }
}

/// Handling time assumed while no session has been handled yet, in seconds.
pub const DEFAULT_HANDLE_SECS: i64 = 300;

/// The expected wait of a customer with `ahead` sessions waiting before theirs: each agent
/// online takes one session at a time, a session takes the mean handling time of the
/// recently closed ones (`DEFAULT_HANDLE_SECS` with none), and with no agent online one is
/// assumed. `ceil((ahead + 1) / agents) × handling`.
pub fn estimated_wait(ahead: i64, agents_online: i64, mean_handle_secs: Option<i64>) -> i64 {
    let agents = agents_online.max(1);
    let rounds = (ahead.max(0) + 1 + agents - 1) / agents;
    rounds
        * mean_handle_secs
            .filter(|s| *s > 0)
            .unwrap_or(DEFAULT_HANDLE_SECS)
}

/// A duration in words: `1 hour 2 minutes 5 seconds`, `ساعة واحدة ودقيقتان و5 ثوانٍ`.
pub fn duration_text(secs: i64, locale: Locale) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let parts: Vec<String> = [(h, Unit::Hour), (m, Unit::Minute), (s, Unit::Second)]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| u.count(n, locale))
        .collect();
    match (parts.is_empty(), locale) {
        (true, Locale::En) => "0 seconds".into(),
        (true, Locale::Ar) => "0 ثانية".into(),
        (false, Locale::En) => parts.join(" "),
        (false, Locale::Ar) => parts.join(" و"),
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Hour,
    Minute,
    Second,
}

impl Unit {
    fn count(self, n: i64, locale: Locale) -> String {
        match locale {
            Locale::En => {
                let word = match self {
                    Self::Hour => "hour",
                    Self::Minute => "minute",
                    Self::Second => "second",
                };
                format!("{n} {word}{}", if n == 1 { "" } else { "s" })
            }
            Locale::Ar => {
                // Arabic counts: one, two (dual), 3–10 (plural), 11+ (singular).
                let (one, two, few, many) = match self {
                    Self::Hour => ("ساعة واحدة", "ساعتان", "ساعات", "ساعة"),
                    Self::Minute => ("دقيقة واحدة", "دقيقتان", "دقائق", "دقيقة"),
                    Self::Second => ("ثانية واحدة", "ثانيتان", "ثوانٍ", "ثانية"),
                };
                match n {
                    1 => one.to_owned(),
                    2 => two.to_owned(),
                    3..=10 => format!("{n} {few}"),
                    _ => format!("{n} {many}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_grows_with_the_queue_and_shrinks_with_agents() {
        assert_eq!(estimated_wait(0, 0, None), 300);
        assert_eq!(estimated_wait(0, 2, Some(240)), 240);
        assert_eq!(estimated_wait(3, 2, Some(240)), 480);
        assert_eq!(estimated_wait(4, 2, Some(240)), 720);
        assert_eq!(estimated_wait(5, 0, Some(60)), 360);
    }

    #[test]
    fn durations_read_in_both_languages() {
        assert_eq!(
            duration_text(3725, Locale::En),
            "1 hour 2 minutes 5 seconds"
        );
        assert_eq!(duration_text(61, Locale::En), "1 minute 1 second");
        assert_eq!(duration_text(0, Locale::En), "0 seconds");
        assert_eq!(duration_text(125, Locale::Ar), "دقيقتان و5 ثوانٍ");
        assert_eq!(
            duration_text(3600 + 11 * 60, Locale::Ar),
            "ساعة واحدة و11 دقيقة"
        );
    }
}

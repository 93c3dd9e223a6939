//! The security rules, pure: TOTP, sealing, recovery codes, the QR image, when wrong codes
//! lock two-factor checks, the fraud rules, the risk score and the recommendations.

pub mod country;
pub mod qr;
pub mod recovery;
pub mod risk;
pub mod rules;
pub mod sealing;
pub mod totp;

use chrono::{Duration, NaiveDateTime};

/// A code as given: a TOTP code (six digits) or a recovery code (normalized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given {
    Totp(String),
    Recovery(String),
}

impl Given {
    /// Reads a code; recovery codes only where `recovery` allows them. `None` when it has
    /// neither shape (a 400: missing, empty, 7 digits, letters where digits go).
    pub fn read(raw: &str, recovery: bool) -> Option<Self> {
        let raw = raw.trim();
        if totp::well_formed(raw) {
            Some(Self::Totp(raw.to_owned()))
        } else if recovery {
            recovery::normalize(raw).map(Self::Recovery)
        } else {
            None
        }
    }
}

/// Wrong codes allowed in a window before two-factor checks lock (`[security.lockout]`).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockout {
    pub max_failures: i64,
    pub window_minutes: i64,
    pub lock_minutes: i64,
}

impl Default for Lockout {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window_minutes: 15,
            lock_minutes: 15,
        }
    }
}

impl Lockout {
    /// From when wrong codes count: the window, but not before the end of the last lock (its
    /// failures were paid for).
    pub fn counting_since(
        &self,
        now: NaiveDateTime,
        last_lock_end: Option<NaiveDateTime>,
    ) -> NaiveDateTime {
        let window = now - Duration::minutes(self.window_minutes);
        last_lock_end.map_or(window, |end| end.max(window))
    }

    /// After a wrong code, with `failures` counted (this one included): the end of the lock
    /// it starts, if it starts one.
    pub fn lock_after(&self, failures: i64, now: NaiveDateTime) -> Option<NaiveDateTime> {
        (failures >= self.max_failures).then(|| now + Duration::minutes(self.lock_minutes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000 + min * 60, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn codes_are_read_by_shape() {
        assert_eq!(
            Given::read(" 123456 ", false),
            Some(Given::Totp("123456".into()))
        );
        assert_eq!(
            Given::read("ABCD-efgh-jkmn", true),
            Some(Given::Recovery("abcdefghjkmn".into()))
        );
        assert_eq!(Given::read("ABCD-efgh-jkmn", false), None);
        for bad in ["", "1234567", "12345", "abcdef", "12 3456"] {
            assert_eq!(Given::read(bad, true), None, "{bad:?}");
        }
    }

    #[test]
    fn the_fifth_wrong_code_in_the_window_locks_and_a_lock_is_not_counted_twice() {
        let l = Lockout::default();
        assert_eq!(l.lock_after(4, at(0)), None);
        assert_eq!(l.lock_after(5, at(0)), Some(at(15)));
        assert_eq!(l.counting_since(at(20), None), at(5));
        // The last lock ended at minute 18: failures before it do not count again.
        assert_eq!(l.counting_since(at(20), Some(at(18))), at(18));
        assert_eq!(l.counting_since(at(40), Some(at(18))), at(25));
    }
}

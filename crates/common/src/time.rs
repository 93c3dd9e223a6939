//! Wire formats for times and money.

use chrono::{NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// An RFC 3339 UTC string with millisecond precision, e.g. `2026-11-27T10:00:00.000Z`.
pub fn rfc3339(at: NaiveDateTime) -> String {
    Utc.from_utc_datetime(&at)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Minor units (halalas) as a JSON number in major units with at most two decimals.
pub fn major_units(minor: i64) -> f64 {
    minor as f64 / 100.0
}

/// A major-unit amount from JSON into minor units; `None` if it has more than two decimals,
/// is not finite or does not fit.
pub fn minor_units(major: f64) -> Option<i64> {
    if !major.is_finite() || major.abs() > 1e13 {
        return None;
    }
    let scaled = major * 100.0;
    let rounded = scaled.round();
    ((scaled - rounded).abs() < 1e-6).then_some(rounded as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_accepts_two_decimals_only() {
        assert_eq!(minor_units(123.45), Some(12345));
        assert_eq!(minor_units(0.1), Some(10));
        assert_eq!(minor_units(19.99), Some(1999));
        assert_eq!(minor_units(1.005), None);
        assert_eq!(minor_units(f64::NAN), None);
    }

    #[test]
    fn rfc3339_is_utc_with_z() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .unwrap();
        assert_eq!(rfc3339(at), "2026-11-27T10:00:00.000Z");
        assert_eq!(major_units(12345), 123.45);
    }
}

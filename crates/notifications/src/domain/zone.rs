//! IANA time zones from the tz database built into the binary (jiff's bundle: each zone's
//! TZif bytes, parsed on first use). chrono-tz, used before, compiles every zone's
//! transitions into tables holding a pointer per transition; the loader relocated all of
//! them at every start, which kept 1 MiB of dirty pages in each idle process.

use chrono::{Datelike, Duration, NaiveDateTime, Timelike};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// A zone read by its IANA name.
#[derive(Debug, Clone)]
pub struct Zone(TimeZone);

impl Zone {
    /// The zone called `name` (as the database spells it, whatever case it came in);
    /// `None` for a name the database does not hold.
    pub fn parse(name: &str) -> Option<Self> {
        let zone = jiff::tz::db().get(name).ok()?;
        zone.iana_name().is_some().then_some(Self(zone))
    }

    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// The wall-clock time in this zone at `utc`.
    pub fn local(&self, utc: NaiveDateTime) -> NaiveDateTime {
        let offset = jiff::Timestamp::from_second(utc.and_utc().timestamp())
            .map_or(0, |at| self.0.to_offset(at).seconds());
        utc + Duration::seconds(i64::from(offset))
    }

    /// The earliest UTC instant at which this zone's clock shows `local`: the earlier one
    /// when the clock goes back (it shows it twice), `None` when the clock jumps over it.
    pub fn earliest_utc(&self, local: NaiveDateTime) -> Option<NaiveDateTime> {
        let civil = jiff::civil::DateTime::new(
            i16::try_from(local.year()).ok()?,
            i8::try_from(local.month()).ok()?,
            i8::try_from(local.day()).ok()?,
            i8::try_from(local.hour()).ok()?,
            i8::try_from(local.minute()).ok()?,
            i8::try_from(local.second()).ok()?,
            0,
        )
        .ok()?;
        let offset = match self.0.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.seconds(),
            // The larger offset is the earlier instant.
            AmbiguousOffset::Fold { before, after } => before.seconds().max(after.seconds()),
            AmbiguousOffset::Gap { .. } => return None,
        };
        Some(local - Duration::seconds(i64::from(offset)))
    }
}

/// Zones are the same when the database names them the same.
impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Zone {}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn names_read_as_the_database_spells_them() {
        assert_eq!(Zone::parse("Asia/Riyadh").unwrap().name(), "Asia/Riyadh");
        assert_eq!(Zone::parse("asia/riyadh").unwrap().name(), "Asia/Riyadh");
        assert_eq!(Zone::parse("UTC").unwrap().name(), "UTC");
        assert!(Zone::parse("Mars/Olympus").is_none());
        assert!(Zone::parse("").is_none());
    }

    #[test]
    fn wall_clock_follows_daylight_saving_both_ways() {
        let ny = Zone::parse("America/New_York").unwrap();
        // EST in January, EDT in July.
        assert_eq!(ny.local(at("2026-01-15 12:00")), at("2026-01-15 07:00"));
        assert_eq!(ny.local(at("2026-07-15 12:00")), at("2026-07-15 08:00"));
        assert_eq!(
            ny.earliest_utc(at("2026-07-15 08:00")),
            Some(at("2026-07-15 12:00"))
        );
        // 2026-03-08 02:30 never happens in New York; 2026-11-01 01:30 happens twice.
        assert_eq!(ny.earliest_utc(at("2026-03-08 02:30")), None);
        assert_eq!(
            ny.earliest_utc(at("2026-11-01 01:30")),
            Some(at("2026-11-01 05:30"))
        );
        let riyadh = Zone::parse("Asia/Riyadh").unwrap();
        assert_eq!(riyadh.local(at("2026-06-01 06:00")), at("2026-06-01 09:00"));
    }
}

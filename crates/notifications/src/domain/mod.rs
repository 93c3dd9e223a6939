//! The preference rules, pure and unit-tested: what a customer never seen gets, how a change
//! merges into what is stored, and what a quiet-hours window is.

pub mod delivery;
pub mod events;
pub mod signature;
pub mod templates;
pub mod zone;

use chrono::NaiveTime;
use cid_common::{FieldError, FieldIssue};

pub use zone::Zone;

cid_common::text_enum! {
    /// How often non-security messages go out, stored as text.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Frequency {
        Instant = "instant",
        Hourly = "hourly",
        Daily = "daily",
        Weekly = "weekly",
    }
}

cid_common::text_enum! {
    /// The language messages are written in, stored as text.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Language {
        Ar = "ar",
        En = "en",
    }
}

/// Quiet hours: no non-security message between `start` and `end` (which may wrap past
/// midnight) on the customer's clock in `zone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub zone: Zone,
}

impl QuietHours {
    /// Reads `HH:MM` times and an IANA zone name, naming each field that does not read.
    pub fn parse(start: &str, end: &str, zone: &str) -> Result<Self, Vec<FieldError>> {
        let time = |raw: &str, field: &str, errors: &mut Vec<FieldError>| {
            let parsed = (raw.len() == 5)
                .then(|| NaiveTime::parse_from_str(raw, "%H:%M").ok())
                .flatten();
            if parsed.is_none() {
                errors.push(FieldError::new(field, FieldIssue::InvalidFormat));
            }
            parsed
        };
        let mut errors = Vec::new();
        let start = time(start, "quietHours.start", &mut errors);
        let end = time(end, "quietHours.end", &mut errors);
        let zone = Zone::parse(zone);
        if zone.is_none() {
            errors.push(FieldError::new(
                "quietHours.timeZone",
                FieldIssue::InvalidFormat,
            ));
        }
        match (start, end, zone) {
            (Some(s), Some(e), Some(_)) if s == e => {
                errors.push(FieldError::new(
                    "quietHours.end",
                    FieldIssue::MustBeAfter {
                        field: "quietHours.start".into(),
                    },
                ));
                Err(errors)
            }
            (Some(start), Some(end), Some(zone)) if errors.is_empty() => {
                Ok(Self { start, end, zone })
            }
            _ => Err(errors),
        }
    }
}

/// A customer's preferences. Security messages are always on and not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub email: bool,
    pub sms: bool,
    pub push: bool,
    pub in_app: bool,
    pub promotional: bool,
    pub order_updates: bool,
    pub loyalty_updates: bool,
    pub frequency: Frequency,
    pub quiet_hours: Option<QuietHours>,
    pub language: Language,
}

impl Preferences {
    /// What a customer never seen gets: every channel but SMS (it costs per message), every
    /// category but promotions (opt-in), instant, no quiet hours, the system's language.
    pub fn defaults(language: Language) -> Self {
        Self {
            email: true,
            sms: false,
            push: true,
            in_app: true,
            promotional: false,
            order_updates: true,
            loyalty_updates: true,
            frequency: Frequency::Instant,
            quiet_hours: None,
            language,
        }
    }
}

/// A change: every field optional; `quiet_hours: Some(None)` clears them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub push: Option<bool>,
    pub in_app: Option<bool>,
    pub promotional: Option<bool>,
    pub order_updates: Option<bool>,
    pub loyalty_updates: Option<bool>,
    pub frequency: Option<Frequency>,
    pub quiet_hours: Option<Option<QuietHours>>,
    pub language: Option<Language>,
}

impl Change {
    /// `current` with this change applied; what the change leaves out stays.
    pub fn apply(&self, current: &Preferences) -> Preferences {
        Preferences {
            email: self.email.unwrap_or(current.email),
            sms: self.sms.unwrap_or(current.sms),
            push: self.push.unwrap_or(current.push),
            in_app: self.in_app.unwrap_or(current.in_app),
            promotional: self.promotional.unwrap_or(current.promotional),
            order_updates: self.order_updates.unwrap_or(current.order_updates),
            loyalty_updates: self.loyalty_updates.unwrap_or(current.loyalty_updates),
            frequency: self.frequency.unwrap_or(current.frequency),
            quiet_hours: self
                .quiet_hours
                .clone()
                .unwrap_or_else(|| current.quiet_hours.clone()),
            language: self.language.unwrap_or(current.language),
        }
    }
}

/// One setting given in both spellings (nested and the reference's flat key): they must
/// agree. Returns the value, or the error naming the flat key.
pub fn one_of(
    nested: Option<bool>,
    flat: Option<bool>,
    flat_name: &str,
    nested_name: &str,
) -> Result<Option<bool>, FieldError> {
    match (nested, flat) {
        (Some(a), Some(b)) if a != b => Err(FieldError::new(
            flat_name,
            FieldIssue::OneOf {
                allowed: vec![format!("the same value as {nested_name}")],
            },
        )),
        (a, b) => Ok(a.or(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_read_times_and_zones_and_name_what_does_not() {
        let q = QuietHours::parse("22:00", "07:00", "Asia/Riyadh").unwrap();
        assert_eq!(q.zone.name(), "Asia/Riyadh");
        let fields = |e: Vec<FieldError>| e.into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(
            fields(QuietHours::parse("24:00", "7:00", "Mars/Base").unwrap_err()),
            vec!["quietHours.start", "quietHours.end", "quietHours.timeZone"]
        );
        assert_eq!(
            fields(QuietHours::parse("22:00", "22:00", "UTC").unwrap_err()),
            vec!["quietHours.end"]
        );
    }

    #[test]
    fn a_change_keeps_what_it_leaves_out_and_both_spellings_must_agree() {
        let base = Preferences::defaults(Language::En);
        let change = Change {
            sms: Some(true),
            quiet_hours: Some(Some(QuietHours::parse("22:00", "07:00", "UTC").unwrap())),
            ..Change::default()
        };
        let next = change.apply(&base);
        assert!(next.sms && next.email && next.quiet_hours.is_some());
        let cleared = Change {
            quiet_hours: Some(None),
            ..Change::default()
        }
        .apply(&next);
        assert_eq!(cleared.quiet_hours, None);
        assert_eq!(one_of(Some(true), Some(true), "f", "n"), Ok(Some(true)));
        assert_eq!(one_of(None, Some(false), "f", "n"), Ok(Some(false)));
        assert_eq!(
            one_of(Some(true), Some(false), "f", "n").unwrap_err().field,
            "f"
        );
    }
}

//! What happens to a message on each channel, decided at send time: sent now, held until
//! quiet hours end, bundled into the next digest, or suppressed with the reason. Pure: the
//! clock and the customer's preferences come in, a plan goes out.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::{Frequency, Preferences, QuietHours, Zone};

cid_common::text_enum! {
    /// What a message is about: the category switch it obeys. Security ignores category
    /// switches, quiet hours and digests.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[schema(as = NotificationCategory)]
    pub enum Category {
        #[serde(rename = "promotional")]
        Promotional = "promotional",
        #[serde(rename = "orderUpdates")]
        OrderUpdates = "orderUpdates",
        #[serde(rename = "loyaltyUpdates")]
        LoyaltyUpdates = "loyaltyUpdates",
        #[serde(rename = "security")]
        Security = "security",
    }
}

impl Category {
    /// The category, or the reference's alias of one (`order`, `loyalty`, `offer`, `alert`).
    pub fn from_wire(text: &str) -> Option<Self> {
        Self::parse(text).or(match text {
            "order" => Some(Self::OrderUpdates),
            "loyalty" => Some(Self::LoyaltyUpdates),
            "offer" => Some(Self::Promotional),
            "alert" => Some(Self::Security),
            _ => None,
        })
    }

    /// Every spelling `type` accepts.
    pub fn wire_names() -> Vec<String> {
        Self::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(["order", "loyalty", "offer", "alert"])
            .map(String::from)
            .collect()
    }

    fn is_on(self, p: &Preferences) -> bool {
        match self {
            Self::Promotional => p.promotional,
            Self::OrderUpdates => p.order_updates,
            Self::LoyaltyUpdates => p.loyalty_updates,
            Self::Security => true,
        }
    }
}

cid_common::text_enum! {
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    pub enum Channel {
        #[serde(rename = "email")]
        Email = "email",
        #[serde(rename = "sms")]
        Sms = "sms",
        #[serde(rename = "push")]
        Push = "push",
        #[serde(rename = "inApp")]
        InApp = "inApp",
    }
}

impl Channel {
    fn is_on(self, p: &Preferences) -> bool {
        match self {
            Self::Email => p.email,
            Self::Sms => p.sms,
            Self::Push => p.push,
            Self::InApp => p.in_app,
        }
    }
}

cid_common::text_enum! {
    /// A delivery's state: `queued` → `sent`, or `failed` after the last retry; `scheduled`
    /// waits for its time and then is `queued`; `suppressed` never goes out.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[schema(as = DeliveryStatus)]
    #[serde(rename_all = "lowercase")]
    pub enum Status {
        Queued = "queued",
        Sent = "sent",
        Suppressed = "suppressed",
        Scheduled = "scheduled",
        Failed = "failed",
    }
}

cid_common::text_enum! {
    /// Why a delivery is suppressed or scheduled.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Reason {
        ChannelOff = "channel_off",
        CategoryOff = "category_off",
        /// No email address or phone number on the customer's record.
        NoAddress = "no_address",
        QuietHours = "quiet_hours",
        /// Bundled into the customer's hourly, daily or weekly digest.
        Digest = "digest",
    }
}

/// When digests go out: at `hour` o'clock (daily; weekly on Sundays, the first day of the
/// Saudi week) in the customer's quiet-hours zone, or `zone` when they set none.
#[derive(Debug, Clone)]
pub struct DigestClock {
    pub zone: Zone,
    pub hour: u32,
}

/// One channel's fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub channel: Channel,
    pub status: Status,
    pub reason: Option<Reason>,
    /// When the transport is due to try (UTC); none for suppressed and in-app deliveries.
    pub due_at: Option<NaiveDateTime>,
    pub digest: bool,
}

/// The plan for a message of `category` sent at `now` (UTC). In-app messages are stored at
/// once (a feed entry does not ring, so quiet hours and digests do not hold it); the other
/// channels go out now, after quiet hours, or with the next digest.
pub fn plan(
    p: &Preferences,
    category: Category,
    has_address: impl Fn(Channel) -> bool,
    clock: &DigestClock,
    now: NaiveDateTime,
) -> Vec<Planned> {
    Channel::ALL
        .iter()
        .map(|&channel| {
            let (status, reason, due_at, digest) = if !channel.is_on(p) {
                (Status::Suppressed, Some(Reason::ChannelOff), None, false)
            } else if !category.is_on(p) {
                (Status::Suppressed, Some(Reason::CategoryOff), None, false)
            } else if channel == Channel::InApp {
                (Status::Sent, None, None, false)
            } else if !has_address(channel) {
                (Status::Suppressed, Some(Reason::NoAddress), None, false)
            } else if category == Category::Security {
                (Status::Queued, None, Some(now), false)
            } else if p.frequency != Frequency::Instant {
                let zone = p.quiet_hours.as_ref().map_or(&clock.zone, |q| &q.zone);
                let at = next_digest(p.frequency, zone, clock.hour, now);
                let at = quiet_end(p.quiet_hours.as_ref(), at).unwrap_or(at);
                (Status::Scheduled, Some(Reason::Digest), Some(at), true)
            } else if let Some(end) = quiet_end(p.quiet_hours.as_ref(), now) {
                (
                    Status::Scheduled,
                    Some(Reason::QuietHours),
                    Some(end),
                    false,
                )
            } else {
                (Status::Queued, None, Some(now), false)
            };
            Planned {
                channel,
                status,
                reason,
                due_at,
                digest,
            }
        })
        .collect()
}

/// When the quiet hours that hold `at` (UTC) end, in UTC; `None` outside quiet hours. The
/// window is read on the customer's wall clock, so a daylight-saving change moves it with them.
pub fn quiet_end(quiet: Option<&QuietHours>, at: NaiveDateTime) -> Option<NaiveDateTime> {
    let q = quiet?;
    let local = q.zone.local(at);
    let t = local.time();
    let today = local.date();
    let end_day = if q.start < q.end {
        (q.start <= t && t < q.end).then_some(today)?
    } else if t >= q.start {
        today.succ_opt()?
    } else if t < q.end {
        today
    } else {
        return None;
    };
    Some(utc_of(&q.zone, end_day, q.end))
}

/// The next digest time strictly after `now` (UTC), in UTC.
pub fn next_digest(
    frequency: Frequency,
    zone: &Zone,
    hour: u32,
    now: NaiveDateTime,
) -> NaiveDateTime {
    let local = zone.local(now);
    let at = |day: NaiveDate, h: u32| {
        utc_of(
            zone,
            day,
            NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default(),
        )
    };
    let hour = hour.min(23);
    match frequency {
        Frequency::Instant => now,
        Frequency::Hourly => {
            let this_hour = local
                .date()
                .and_hms_opt(local.hour(), 0, 0)
                .unwrap_or(local);
            let next = this_hour + Duration::hours(1);
            utc_of(zone, next.date(), next.time())
        }
        Frequency::Daily | Frequency::Weekly => {
            let mut day = local.date();
            loop {
                let candidate = at(day, hour);
                let weekday_ok =
                    frequency == Frequency::Daily || day.weekday() == chrono::Weekday::Sun;
                if weekday_ok && candidate > now {
                    return candidate;
                }
                day = day.succ_opt().unwrap_or(day);
            }
        }
    }
}

/// The UTC instant of a wall-clock time in `zone`: the earlier one when the clock goes back
/// (the time happens twice), the first valid minute after it when the clock jumps forward
/// (the time never happens).
fn utc_of(zone: &Zone, day: NaiveDate, time: NaiveTime) -> NaiveDateTime {
    let mut local = day.and_time(time);
    for _ in 0..=180 {
        if let Some(t) = zone.earliest_utc(local) {
            return t;
        }
        local += Duration::minutes(1);
    }
    local
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn riyadh() -> Zone {
        Zone::parse("Asia/Riyadh").unwrap()
    }

    fn digest_clock() -> DigestClock {
        DigestClock {
            zone: riyadh(),
            hour: 9,
        }
    }

    fn statuses(plan: &[Planned]) -> Vec<(&str, &str, Option<&str>)> {
        plan.iter()
            .map(|p| {
                (
                    p.channel.as_str(),
                    p.status.as_str(),
                    p.reason.map(Reason::as_str),
                )
            })
            .collect()
    }

    #[test]
    fn switched_off_channels_and_categories_are_suppressed_with_the_reason() {
        let p = Preferences::defaults(Language::En);
        let now = utc("2026-06-01 12:00");
        let plan = plan(&p, Category::Promotional, |_| true, &digest_clock(), now);
        assert_eq!(
            statuses(&plan),
            vec![
                ("email", "suppressed", Some("category_off")),
                ("sms", "suppressed", Some("channel_off")),
                ("push", "suppressed", Some("category_off")),
                ("inApp", "suppressed", Some("category_off")),
            ]
        );
        let plan = super::plan(
            &p,
            Category::LoyaltyUpdates,
            |c| c != Channel::Email,
            &digest_clock(),
            now,
        );
        assert_eq!(
            statuses(&plan),
            vec![
                ("email", "suppressed", Some("no_address")),
                ("sms", "suppressed", Some("channel_off")),
                ("push", "queued", None),
                ("inApp", "sent", None),
            ]
        );
        assert_eq!(plan[2].due_at, Some(now));
    }

    #[test]
    fn quiet_hours_hold_messages_until_they_end_on_the_customers_clock() {
        let mut p = Preferences::defaults(Language::En);
        p.quiet_hours = Some(QuietHours::parse("22:00", "07:00", "Asia/Riyadh").unwrap());
        // 23:30 in Riyadh (UTC+3): held until 07:00 there, 04:00 UTC.
        let now = utc("2026-06-01 20:30");
        let plan = plan(&p, Category::OrderUpdates, |_| true, &digest_clock(), now);
        assert_eq!(plan[0].status, Status::Scheduled);
        assert_eq!(plan[0].reason, Some(Reason::QuietHours));
        assert_eq!(plan[0].due_at, Some(utc("2026-06-02 04:00")));
        assert_eq!(plan[3].status, Status::Sent);
        // Security ignores them.
        let plan = super::plan(&p, Category::Security, |_| true, &digest_clock(), now);
        assert_eq!(
            (plan[0].status, plan[0].due_at),
            (Status::Queued, Some(now))
        );
        // 06:59 is still quiet, 07:00 is not.
        assert_eq!(
            quiet_end(p.quiet_hours.as_ref(), utc("2026-06-02 03:59")),
            Some(utc("2026-06-02 04:00"))
        );
        assert_eq!(
            quiet_end(p.quiet_hours.as_ref(), utc("2026-06-02 04:00")),
            None
        );
    }

    #[test]
    fn quiet_hours_follow_daylight_saving() {
        // New York, 22:00–07:00: on the night clocks go forward (8 March 2026) the quiet
        // hours end at 07:00 EDT = 11:00 UTC; a night before, at 07:00 EST = 12:00 UTC.
        let q = QuietHours::parse("22:00", "07:00", "America/New_York").unwrap();
        assert_eq!(
            quiet_end(Some(&q), utc("2026-03-08 04:00")),
            Some(utc("2026-03-08 11:00"))
        );
        assert_eq!(
            quiet_end(Some(&q), utc("2026-03-07 04:00")),
            Some(utc("2026-03-07 12:00"))
        );
        // A window ending at 02:30, a time that does not exist that night, ends at 03:00.
        let gap = QuietHours::parse("23:00", "02:30", "America/New_York").unwrap();
        assert_eq!(
            quiet_end(Some(&gap), utc("2026-03-08 05:00")),
            Some(utc("2026-03-08 07:00"))
        );
    }

    #[test]
    fn digests_bundle_until_the_next_period_and_step_out_of_quiet_hours() {
        let mut p = Preferences::defaults(Language::En);
        p.frequency = Frequency::Daily;
        // 12:00 Riyadh → next 09:00 Riyadh is tomorrow 06:00 UTC.
        let now = utc("2026-06-01 09:00");
        let plan = plan(&p, Category::LoyaltyUpdates, |_| true, &digest_clock(), now);
        assert_eq!(plan[0].status, Status::Scheduled);
        assert_eq!(plan[0].reason, Some(Reason::Digest));
        assert!(plan[0].digest);
        assert_eq!(plan[0].due_at, Some(utc("2026-06-02 06:00")));
        assert_eq!(
            next_digest(Frequency::Hourly, &riyadh(), 9, utc("2026-06-01 09:10")),
            utc("2026-06-01 10:00")
        );
        // 2026-06-01 is a Monday: the weekly digest goes out on Sunday the 7th.
        assert_eq!(
            next_digest(Frequency::Weekly, &riyadh(), 9, now),
            utc("2026-06-07 06:00")
        );
        // Quiet until 10:00: the 09:00 digest waits for them.
        p.quiet_hours = Some(QuietHours::parse("22:00", "10:00", "Asia/Riyadh").unwrap());
        let plan = super::plan(&p, Category::LoyaltyUpdates, |_| true, &digest_clock(), now);
        assert_eq!(plan[0].due_at, Some(utc("2026-06-02 07:00")));
        // Security is never bundled.
        let plan = super::plan(&p, Category::Security, |_| true, &digest_clock(), now);
        assert!(!plan[0].digest);
    }

    #[test]
    fn the_reference_aliases_name_categories() {
        assert_eq!(Category::from_wire("order"), Some(Category::OrderUpdates));
        assert_eq!(Category::from_wire("alert"), Some(Category::Security));
        assert_eq!(
            Category::from_wire("loyaltyUpdates"),
            Some(Category::LoyaltyUpdates)
        );
        assert_eq!(Category::from_wire("spam"), None);
    }
}

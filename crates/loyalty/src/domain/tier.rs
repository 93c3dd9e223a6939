//! Tiers (SPEC §3.2): Bronze 0–1000, Silver 1001–5000, Gold 5001–10000, Platinum 10001+, on
//! qualifying points of the trailing window, with a grace period before any downgrade.

use chrono::{Months, NaiveDateTime};
use cid_common::Localized;

/// The tier names are part of the contract other services read (offers target them).
pub use cid_common::contracts::loyalty::Tier;

/// One row of the tier catalog.
pub struct TierInfo {
    pub tier: Tier,
    pub name: Localized,
    pub min_points: i64,
    pub max_points: Option<i64>,
    pub discount_percent: u8,
    pub benefits: &'static [Localized],
}

pub const CATALOG: [TierInfo; 4] = [
    TierInfo {
        tier: Tier::Bronze,
        name: Localized::new("Bronze", "برونزي"),
        min_points: 0,
        max_points: Some(1000),
        discount_percent: 5,
        benefits: &[Localized::new("Basic support", "دعم أساسي")],
    },
    TierInfo {
        tier: Tier::Silver,
        name: Localized::new("Silver", "فضي"),
        min_points: 1001,
        max_points: Some(5000),
        discount_percent: 10,
        benefits: &[
            Localized::new("Priority support", "دعم ذو أولوية"),
            Localized::new("Free shipping", "شحن مجاني"),
        ],
    },
    TierInfo {
        tier: Tier::Gold,
        name: Localized::new("Gold", "ذهبي"),
        min_points: 5001,
        max_points: Some(10000),
        discount_percent: 15,
        benefits: &[
            Localized::new("VIP support", "دعم كبار العملاء"),
            Localized::new("Exclusive offers", "عروض حصرية"),
        ],
    },
    TierInfo {
        tier: Tier::Platinum,
        name: Localized::new("Platinum", "بلاتيني"),
        min_points: 10001,
        max_points: None,
        discount_percent: 20,
        benefits: &[
            Localized::new("Dedicated account manager", "مدير حساب مخصص"),
            Localized::new("Top priority", "أولوية قصوى"),
        ],
    },
];

/// The catalog's rules for a tier (the names live in the shared contract).
pub trait TierRules: Sized {
    fn info(self) -> &'static TierInfo;
    fn next(self) -> Option<Tier>;
}

impl TierRules for Tier {
    fn info(self) -> &'static TierInfo {
        &CATALOG[self as usize]
    }

    fn next(self) -> Option<Tier> {
        CATALOG.get(self as usize + 1).map(|i| i.tier)
    }
}

/// Case-insensitive, as the benefits route promises.
pub fn parse_tier(raw: &str) -> Option<Tier> {
    Tier::parse(&raw.to_ascii_lowercase())
}

/// The tier that `qualifying` points earn on their own.
pub fn tier_for_points(qualifying: i64) -> Tier {
    CATALOG
        .iter()
        .rev()
        .find(|i| qualifying >= i.min_points)
        .map_or(Tier::Bronze, |i| i.tier)
}

/// The tier a customer holds now, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub tier: Tier,
    pub since: NaiveDateTime,
}

/// Upgrades at once; downgrades only once the current tier has been held for `grace_months`
/// (redeeming never lowers qualifying points, so it can never demote).
pub fn evaluate(
    current: Standing,
    qualifying: i64,
    now: NaiveDateTime,
    grace_months: u32,
) -> Standing {
    let earned = tier_for_points(qualifying);
    if earned > current.tier {
        return Standing {
            tier: earned,
            since: now,
        };
    }
    if earned < current.tier {
        let grace_end = current.since.checked_add_months(Months::new(grace_months));
        if grace_end.is_some_and(|end| now >= end) {
            return Standing {
                tier: earned,
                since: now,
            };
        }
    }
    current
}

/// Where a customer stands on the way to the next tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub next: Option<Tier>,
    pub points_to_next: i64,
    pub percent: u8,
}

pub fn progress(tier: Tier, qualifying: i64) -> Progress {
    let Some(next) = tier.next() else {
        return Progress {
            next: None,
            points_to_next: 0,
            percent: 100,
        };
    };
    let floor = tier.info().min_points;
    let target = next.info().min_points;
    let into_band = (qualifying - floor).clamp(0, target - floor);
    Progress {
        next: Some(next),
        points_to_next: (target - qualifying).max(0),
        percent: u8::try_from(into_band * 100 / (target - floor)).unwrap_or(100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap()
    }

    #[test]
    fn for_points_follows_the_band_edges() {
        assert_eq!(tier_for_points(0), Tier::Bronze);
        assert_eq!(tier_for_points(1000), Tier::Bronze);
        assert_eq!(tier_for_points(1001), Tier::Silver);
        assert_eq!(tier_for_points(5000), Tier::Silver);
        assert_eq!(tier_for_points(5001), Tier::Gold);
        assert_eq!(tier_for_points(10000), Tier::Gold);
        assert_eq!(tier_for_points(10001), Tier::Platinum);
    }

    #[test]
    fn evaluate_upgrades_immediately() {
        let s = Standing {
            tier: Tier::Bronze,
            since: at(2026, 1, 1),
        };
        let now = at(2026, 2, 1);
        assert_eq!(
            evaluate(s, 6000, now, 12),
            Standing {
                tier: Tier::Gold,
                since: now
            }
        );
    }

    #[test]
    fn evaluate_keeps_a_tier_through_the_grace_period_then_downgrades() {
        let s = Standing {
            tier: Tier::Gold,
            since: at(2026, 1, 1),
        };
        assert_eq!(evaluate(s, 0, at(2026, 12, 31), 12), s);
        let after = at(2027, 1, 1);
        assert_eq!(
            evaluate(s, 2000, after, 12),
            Standing {
                tier: Tier::Silver,
                since: after
            }
        );
    }

    #[test]
    fn progress_measures_the_current_band() {
        assert_eq!(
            progress(Tier::Bronze, 500),
            Progress {
                next: Some(Tier::Silver),
                points_to_next: 501,
                percent: 49
            }
        );
        assert_eq!(
            progress(Tier::Silver, 3001),
            Progress {
                next: Some(Tier::Gold),
                points_to_next: 2000,
                percent: 50
            }
        );
        assert_eq!(
            progress(Tier::Platinum, 20000),
            Progress {
                next: None,
                points_to_next: 0,
                percent: 100
            }
        );
        // Kept by grace with fewer points than the band starts at.
        assert_eq!(progress(Tier::Gold, 100).percent, 0);
    }

    #[test]
    fn parse_is_case_insensitive() {
        assert_eq!(parse_tier("GoLd"), Some(Tier::Gold));
        assert_eq!(parse_tier("diamond"), None);
    }
}

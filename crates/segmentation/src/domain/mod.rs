//! The segmentation rules, pure and unit-tested: the five segments (SPEC §3.5), what each
//! offers, and how a customer's figures place them.

use chrono::NaiveDateTime;
use cid_common::Localized;
use cid_common::contracts::analytics::CustomerActivity;
use serde::Deserialize;

/// The segment names are part of the contract other services read (offers target them).
pub use cid_common::contracts::segmentation::Segment;

cid_common::text_enum! {
    /// How an assignment was decided, stored as text.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Source {
        Computed = "computed",
        Manual = "manual",
    }
}

/// `[segmentation]` thresholds (SPEC §3.5 defaults).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// VIP: at least this much spent in the last twelve months, in SAR.
    pub vip_spend_sar: i64,
    /// Frequent: at least this many purchases in the last twelve months.
    pub frequent_purchases: i64,
    /// Inactive: no purchase for this many days (customers who bought before).
    pub inactive_days: i64,
    /// At risk: the last 90 days' purchases are at most this percentage of the 90 before.
    pub at_risk_percent: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            vip_spend_sar: 50_000,
            frequent_purchases: 10,
            inactive_days: 90,
            at_risk_percent: 50,
        }
    }
}

/// A segment's catalog entry.
pub struct Entry {
    pub segment: Segment,
    pub name: Localized,
    pub criteria: Localized,
    pub benefits: [Localized; 2],
    pub discount_percent: u8,
}

/// The segments in order of precedence.
pub const CATALOG: [Entry; 5] = [
    Entry {
        segment: Segment::Inactive,
        name: Localized::new("Inactive", "غير نشط"),
        criteria: Localized::new(
            "No purchase in the last 90 days",
            "لا مشتريات خلال آخر 90 يومًا",
        ),
        benefits: [
            Localized::new("Welcome-back discount", "خصم العودة"),
            Localized::new("Reminders of saved items", "تذكير بالمنتجات المحفوظة"),
        ],
        discount_percent: 20,
    },
    Entry {
        segment: Segment::AtRisk,
        name: Localized::new("At risk", "معرض للفقدان"),
        criteria: Localized::new(
            "Purchases in the last 90 days fell by half or more",
            "انخفضت المشتريات خلال آخر 90 يومًا إلى النصف أو أقل",
        ),
        benefits: [
            Localized::new("Retention discount", "خصم الاحتفاظ"),
            Localized::new("Priority support", "دعم ذو أولوية"),
        ],
        discount_percent: 20,
    },
    Entry {
        segment: Segment::Vip,
        name: Localized::new("VIP", "كبار العملاء"),
        criteria: Localized::new(
            "50,000 SAR or more spent in the last 12 months",
            "إنفاق 50,000 ريال أو أكثر خلال آخر 12 شهرًا",
        ),
        benefits: [
            Localized::new("Dedicated account manager", "مدير حساب مخصص"),
            Localized::new("Early access to sales", "وصول مبكر إلى التخفيضات"),
        ],
        discount_percent: 25,
    },
    Entry {
        segment: Segment::Frequent,
        name: Localized::new("Frequent", "متكرر"),
        criteria: Localized::new(
            "10 or more purchases in the last 12 months",
            "10 مشتريات أو أكثر خلال آخر 12 شهرًا",
        ),
        benefits: [
            Localized::new("Free shipping", "شحن مجاني"),
            Localized::new("Bonus points on every order", "نقاط إضافية على كل طلب"),
        ],
        discount_percent: 15,
    },
    Entry {
        segment: Segment::Occasional,
        name: Localized::new("Occasional", "عرضي"),
        criteria: Localized::new(
            "1 to 9 purchases in the last 12 months, or new",
            "من 1 إلى 9 مشتريات خلال آخر 12 شهرًا، أو عميل جديد",
        ),
        benefits: [
            Localized::new("Personalized recommendations", "توصيات مخصصة"),
            Localized::new("Seasonal offers", "عروض موسمية"),
        ],
        discount_percent: 10,
    },
];

/// A segment's catalog entry (the names live in the shared contract).
pub trait SegmentEntry {
    fn entry(self) -> &'static Entry;
}

impl SegmentEntry for Segment {
    fn entry(self) -> &'static Entry {
        CATALOG
            .iter()
            .find(|e| e.segment == self)
            .unwrap_or(&CATALOG[4])
    }
}

/// Where `a` places a customer on `now`, in order of precedence: inactive, at risk, VIP,
/// frequent, occasional. A customer without purchases is occasional (new).
pub fn classify(a: &CustomerActivity, t: &Thresholds, now: NaiveDateTime) -> Segment {
    let last = a
        .last_purchase
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.naive_utc());
    if let Some(last) = last
        && (now - last).num_days() >= t.inactive_days
    {
        return Segment::Inactive;
    }
    let before = a.purchases_previous_90_days;
    if before > 0 && a.purchases_last_90_days * 100 <= before * t.at_risk_percent {
        return Segment::AtRisk;
    }
    if a.spent_last_year_minor >= t.vip_spend_sar * 100 {
        return Segment::Vip;
    }
    if a.purchases_last_year >= t.frequent_purchases {
        return Segment::Frequent;
    }
    Segment::Occasional
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap()
    }

    fn days_ago(d: i64) -> Option<String> {
        Some(cid_common::time::rfc3339(now() - chrono::Duration::days(d)))
    }

    fn activity(
        last: i64,
        year: i64,
        spent_sar: i64,
        recent: i64,
        before: i64,
    ) -> CustomerActivity {
        CustomerActivity {
            last_purchase: days_ago(last),
            purchases_last_year: year,
            spent_last_year_minor: spent_sar * 100,
            purchases_last_90_days: recent,
            purchases_previous_90_days: before,
            total_purchases: year,
            ..Default::default()
        }
    }

    #[test]
    fn segments_follow_their_thresholds_and_precedence() {
        let t = Thresholds::default();
        let new = CustomerActivity::default();
        assert_eq!(classify(&new, &t, now()), Segment::Occasional);
        assert_eq!(
            classify(&activity(5, 3, 300, 3, 0), &t, now()),
            Segment::Occasional
        );
        assert_eq!(
            classify(&activity(5, 10, 900, 5, 5), &t, now()),
            Segment::Frequent
        );
        assert_eq!(
            classify(&activity(5, 2, 50_000, 1, 1), &t, now()),
            Segment::Vip
        );
        // VIP spending does not protect from inactivity or a halved rate.
        assert_eq!(
            classify(&activity(91, 12, 80_000, 0, 6), &t, now()),
            Segment::Inactive
        );
        assert_eq!(
            classify(&activity(5, 12, 80_000, 3, 6), &t, now()),
            Segment::AtRisk
        );
        assert_eq!(
            classify(&activity(5, 12, 80_000, 4, 6), &t, now()),
            Segment::Vip
        );
        assert_eq!(
            classify(&activity(89, 1, 10, 1, 0), &t, now()),
            Segment::Occasional
        );
    }

    #[test]
    fn every_segment_has_one_catalog_entry_in_both_languages() {
        for s in Segment::ALL {
            let e = s.entry();
            assert_eq!(e.segment, *s);
            assert!(!e.name.ar.is_empty() && !e.criteria.en.is_empty());
        }
        let discounts: Vec<u8> = [
            Segment::Vip,
            Segment::Frequent,
            Segment::Occasional,
            Segment::Inactive,
            Segment::AtRisk,
        ]
        .iter()
        .map(|s| s.entry().discount_percent)
        .collect();
        assert_eq!(discounts, vec![25, 15, 10, 20, 20]);
    }
}

//! The offer rules, pure and unit-tested: discount kinds and what they save, who an offer
//! targets, when it is open, what its budget allows, and how a customer's list is ranked.

use chrono::NaiveDateTime;
use cid_common::contracts::loyalty::{Tier, purchase_points};
use cid_common::contracts::segmentation::Segment;

/// The largest credit loyalty takes at once: a points multiplier never asks for more.
pub const MAX_EXTRA_POINTS: i64 = 1_000_000;
/// The most customer IDs one offer targets by name.
pub const MAX_TARGET_CUSTOMERS: usize = 1000;

cid_common::text_enum! {
    /// How an offer saves, stored as text.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum DiscountType {
        Percent = "percent",
        Fixed = "fixed",
        FreeShipping = "free_shipping",
        PointsMultiplier = "points_multiplier",
    }
}

cid_common::text_enum! {
    /// A redemption's state, stored as text.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum RedemptionStatus {
        Applied = "applied",
        RolledBack = "rolled_back",
    }
}

cid_common::text_enum! {
    /// Where an offer stands now.
    #[derive(serde::Serialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum OfferStatus {
        Scheduled = "scheduled",
        Active = "active",
        Expired = "expired",
        Exhausted = "exhausted",
    }
}

/// What an offer's discount is: its kind and its value times 100 (percent: 1250 = 12.5 %,
/// fixed: halalas, points multiplier: 200 = double points, free shipping: 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discount {
    pub kind: DiscountType,
    pub value_hundredths: i64,
}

/// What one apply saves: money in halalas, and extra loyalty points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Savings {
    pub savings_minor: i64,
    pub extra_points: i64,
}

impl Discount {
    /// Whether the saving depends on the order's amount (then an apply must send it).
    pub fn needs_order(self) -> bool {
        matches!(
            self.kind,
            DiscountType::Percent | DiscountType::PointsMultiplier
        )
    }

    /// The saving on an order of `order_minor` halalas: percent of the order rounded half up
    /// to the halala, fixed capped at the order, free shipping the shipping fee, a points
    /// multiplier the extra points the order earns (its purchase points times the multiplier
    /// less one, rounded down). `None` when the order is needed and missing.
    pub fn savings(self, order_minor: Option<i64>, shipping_fee_minor: i64) -> Option<Savings> {
        let v = self.value_hundredths;
        Some(match self.kind {
            DiscountType::Percent => Savings {
                savings_minor: (order_minor? * v + 5_000) / 10_000,
                extra_points: 0,
            },
            DiscountType::Fixed => Savings {
                savings_minor: order_minor.map_or(v, |o| v.min(o)),
                extra_points: 0,
            },
            DiscountType::FreeShipping => Savings {
                savings_minor: shipping_fee_minor,
                extra_points: 0,
            },
            DiscountType::PointsMultiplier => Savings {
                savings_minor: 0,
                extra_points: (purchase_points(order_minor?) * (v - 100) / 100)
                    .clamp(0, MAX_EXTRA_POINTS),
            },
        })
    }
}

/// A text in both languages.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    pub en: String,
    pub ar: String,
}

/// An offer's texts, stored as one JSON column.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Texts {
    pub title: Bilingual,
    pub description: Bilingual,
    pub terms: Bilingual,
}

/// Who an offer is for, stored as one JSON column. Every list given must match (an empty
/// list matches anyone): a customer named in `customers`, in one of `segments`, holding one
/// of `tiers`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Targeting {
    pub segments: Vec<Segment>,
    pub tiers: Vec<Tier>,
    #[serde(rename = "customerIds")]
    pub customers: Vec<String>,
}

/// What is known of a customer; `None` when its source could not be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    pub segment: Option<Segment>,
    pub tier: Option<Tier>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility {
    Eligible,
    NotTargeted,
    /// Deciding needs these services' facts, which could not be had.
    Unknown(Vec<&'static str>),
}

impl Targeting {
    pub fn needs_segment(&self) -> bool {
        !self.segments.is_empty()
    }

    pub fn needs_tier(&self) -> bool {
        !self.tiers.is_empty()
    }

    /// Whether `customer` (standard ID) with `facts` is targeted. A fact that rules the
    /// customer out decides even when another is unknown.
    pub fn eligibility(&self, customer: &str, facts: &Facts) -> Eligibility {
        if !self.customers.is_empty() && !self.customers.iter().any(|c| c == customer) {
            return Eligibility::NotTargeted;
        }
        let mut unknown = Vec::new();
        if self.needs_segment() {
            match facts.segment {
                None => unknown.push("segmentation"),
                Some(s) if !self.segments.contains(&s) => return Eligibility::NotTargeted,
                Some(_) => {}
            }
        }
        if self.needs_tier() {
            match facts.tier {
                None => unknown.push("loyalty"),
                Some(t) if !self.tiers.contains(&t) => return Eligibility::NotTargeted,
                Some(_) => {}
            }
        }
        if unknown.is_empty() {
            Eligibility::Eligible
        } else {
            Eligibility::Unknown(unknown)
        }
    }
}

/// An offer's budget (`None`: unlimited) and what is used of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Budget {
    pub redemptions: Option<i64>,
    pub amount_minor: Option<i64>,
    pub used_redemptions: i64,
    pub used_amount_minor: i64,
}

impl Budget {
    /// Whether one more redemption saving `savings_minor` fits.
    pub fn allows(&self, savings_minor: i64) -> bool {
        self.redemptions
            .is_none_or(|max| self.used_redemptions < max)
            && self
                .amount_minor
                .is_none_or(|max| self.used_amount_minor + savings_minor <= max)
    }

    /// Spent: not one more redemption fits (an amount budget is spent once nothing is left).
    pub fn spent(&self) -> bool {
        self.redemptions
            .is_some_and(|max| self.used_redemptions >= max)
            || self
                .amount_minor
                .is_some_and(|max| self.used_amount_minor >= max)
    }
}

/// Where an offer open `[from, until)` with `budget` stands at `now`.
pub fn status(
    from: NaiveDateTime,
    until: NaiveDateTime,
    budget: &Budget,
    now: NaiveDateTime,
) -> OfferStatus {
    if now < from {
        OfferStatus::Scheduled
    } else if now >= until {
        OfferStatus::Expired
    } else if budget.spent() {
        OfferStatus::Exhausted
    } else {
        OfferStatus::Active
    }
}

/// Categories compare as analytics stores them: trimmed, lowercase.
pub fn category_key(category: &str) -> String {
    category.trim().to_lowercase()
}

/// Orders a customer's offers: their favourite category first, then the soonest end, then
/// the offer ID (so the order is stable).
pub fn rank<T>(
    offers: &mut [T],
    favourite: Option<&str>,
    key: impl Fn(&T) -> (&str, NaiveDateTime, &str),
) {
    offers.sort_by(|a, b| {
        let (ca, ua, ia) = key(a);
        let (cb, ub, ib) = key(b);
        let fa = favourite.is_some_and(|f| f == ca);
        let fb = favourite.is_some_and(|f| f == cb);
        fb.cmp(&fa).then(ua.cmp(&ub)).then(ia.cmp(ib))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(d: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap()
    }

    fn discount(kind: DiscountType, value_hundredths: i64) -> Discount {
        Discount {
            kind,
            value_hundredths,
        }
    }

    #[test]
    fn each_kind_saves_as_documented() {
        let fee = 2_500;
        let pct = discount(DiscountType::Percent, 1_250);
        // 12.5 % of 199.99 SAR = 24.99875 → 25.00 (half up to the halala).
        assert_eq!(pct.savings(Some(19_999), fee).unwrap().savings_minor, 2_500);
        assert_eq!(pct.savings(Some(4), fee).unwrap().savings_minor, 1);
        assert_eq!(pct.savings(Some(3), fee).unwrap().savings_minor, 0);
        assert_eq!(pct.savings(None, fee), None);
        let fixed = discount(DiscountType::Fixed, 5_000);
        assert_eq!(
            fixed.savings(Some(3_000), fee).unwrap().savings_minor,
            3_000
        );
        assert_eq!(
            fixed.savings(Some(9_000), fee).unwrap().savings_minor,
            5_000
        );
        assert_eq!(fixed.savings(None, fee).unwrap().savings_minor, 5_000);
        let ship = discount(DiscountType::FreeShipping, 0);
        assert_eq!(ship.savings(None, fee).unwrap().savings_minor, fee);
        let double = discount(DiscountType::PointsMultiplier, 200);
        // 150.99 SAR earns 150 points; double points add 150 more.
        assert_eq!(
            double.savings(Some(15_099), fee).unwrap(),
            Savings {
                savings_minor: 0,
                extra_points: 150
            }
        );
        let one_and_half = discount(DiscountType::PointsMultiplier, 150);
        assert_eq!(
            one_and_half
                .savings(Some(10_100), fee)
                .unwrap()
                .extra_points,
            50
        );
        assert_eq!(double.savings(None, fee), None);
        let huge = discount(DiscountType::PointsMultiplier, 1_000);
        assert_eq!(
            huge.savings(Some(100_000_000), fee).unwrap().extra_points,
            MAX_EXTRA_POINTS
        );
    }

    #[test]
    fn every_given_list_must_match_and_a_ruling_fact_decides_alone() {
        let t = Targeting {
            segments: vec![Segment::Frequent, Segment::Vip],
            tiers: vec![Tier::Gold],
            customers: vec![],
        };
        let facts = |segment, tier| Facts { segment, tier };
        assert_eq!(
            t.eligibility("C", &facts(Some(Segment::Vip), Some(Tier::Gold))),
            Eligibility::Eligible
        );
        assert_eq!(
            t.eligibility("C", &facts(Some(Segment::Occasional), None)),
            Eligibility::NotTargeted
        );
        assert_eq!(
            t.eligibility("C", &facts(None, Some(Tier::Gold))),
            Eligibility::Unknown(vec!["segmentation"])
        );
        assert_eq!(
            t.eligibility("C", &facts(None, None)),
            Eligibility::Unknown(vec!["segmentation", "loyalty"])
        );
        let named = Targeting {
            customers: vec!["CID-2026-000001".into()],
            ..Targeting::default()
        };
        assert_eq!(
            named.eligibility("CID-2026-000001", &Facts::default()),
            Eligibility::Eligible
        );
        assert_eq!(
            named.eligibility("CID-2026-000002", &Facts::default()),
            Eligibility::NotTargeted
        );
        assert_eq!(
            Targeting::default().eligibility("X", &Facts::default()),
            Eligibility::Eligible
        );
    }

    #[test]
    fn budgets_count_redemptions_and_amounts() {
        let b = Budget {
            redemptions: Some(2),
            amount_minor: Some(10_000),
            used_redemptions: 1,
            used_amount_minor: 6_000,
        };
        assert!(b.allows(4_000));
        assert!(!b.allows(4_001));
        assert!(!b.spent());
        let full = Budget {
            used_redemptions: 2,
            ..b
        };
        assert!(!full.allows(0) && full.spent());
        assert!(Budget::default().allows(i64::MAX / 2));
        let now = at(10);
        assert_eq!(status(at(11), at(20), &b, now), OfferStatus::Scheduled);
        assert_eq!(status(at(1), at(10), &b, now), OfferStatus::Expired);
        assert_eq!(status(at(1), at(20), &full, now), OfferStatus::Exhausted);
        assert_eq!(status(at(10), at(20), &b, now), OfferStatus::Active);
    }

    #[test]
    fn the_favourite_category_ranks_first_then_the_soonest_end() {
        let mut offers = vec![
            ("shoes", at(20), "a"),
            ("books", at(25), "b"),
            ("shoes", at(15), "c"),
            ("books", at(21), "d"),
        ];
        rank(&mut offers, Some("books"), |o| (o.0, o.1, o.2));
        let ids: Vec<_> = offers.iter().map(|o| o.2).collect();
        assert_eq!(ids, vec!["d", "b", "c", "a"]);
        rank(&mut offers, None, |o| (o.0, o.1, o.2));
        let ids: Vec<_> = offers.iter().map(|o| o.2).collect();
        assert_eq!(ids, vec!["c", "a", "d", "b"]);
        assert_eq!(category_key("  Books "), "books");
    }
}

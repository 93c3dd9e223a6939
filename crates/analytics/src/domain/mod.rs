//! The analytics rules, pure and unit-tested: what a purchase and an event are, how figures
//! are keyed, and the formulas of the derived figures (API guide, "Analytics").

use chrono::{Datelike, NaiveDateTime};

cid_common::text_enum! {
    /// A purchase's state, stored as text: refunded purchases count in no figure.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum PurchaseStatus {
        Completed = "completed",
        Refunded = "refunded",
    }
}

cid_common::text_enum! {
    /// An engagement event's type, stored as text.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum EventType {
        Visit = "visit",
        Review = "review",
        Login = "login",
        Share = "share",
    }
}

/// The only currency purchases are recorded in (amounts are halalas inside).
pub const CURRENCY: &str = "SAR";
/// Largest single purchase accepted, in halalas (10,000,000 SAR).
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000;
/// Longest category name, in characters.
pub const MAX_CATEGORY: usize = 64;

/// The calendar month (UTC) a time falls in, `YYYY-MM`: the key of monthly figures.
pub fn month_key(at: NaiveDateTime) -> String {
    format!("{:04}-{:02}", at.year(), at.month())
}

/// Purchase counts that are milestones (special-date rewards issue a reward for each).
pub const PURCHASE_MILESTONES: [(usize, &str); 2] = [(1, "first_purchase"), (10, "tenth_purchase")];

/// The calendar day (UTC) a time falls in, `YYYY-MM-DD`: the key of daily figures.
pub fn day_key(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// Categories compare case-insensitively and without surrounding spaces.
pub fn category_key(category: &str) -> String {
    category.trim().to_lowercase()
}

/// Average order value in halalas, rounded half up; 0 without purchases.
pub fn average(spent_minor: i64, purchases: i64) -> i64 {
    if purchases <= 0 {
        0
    } else {
        (spent_minor * 2 + purchases) / (purchases * 2)
    }
}

/// Customer lifetime value in halalas: what the customer spent so far plus two more years at
/// the rate of their last twelve months.
pub fn lifetime_value(spent_minor: i64, trailing_year_minor: i64) -> i64 {
    spent_minor + 2 * trailing_year_minor
}

/// What the engagement score is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngagementInputs {
    /// Days since the last completed purchase; `None` without one.
    pub days_since_last_purchase: Option<i64>,
    /// Completed purchases in the trailing twelve months.
    pub purchases_last_year: i64,
    pub visits: i64,
    pub logins: i64,
    pub reviews: i64,
    pub shares: i64,
}

/// The engagement score, 0–100: recency up to 40 points (40 on the day of a purchase, falling
/// linearly to 0 at 180 days), frequency up to 30 (2.5 per purchase in the last twelve months,
/// full at 12), activity up to 30 (one point per visit or login, three per review or share,
/// full at 30). Rounded to the nearest whole point.
pub fn engagement_score(i: EngagementInputs) -> u8 {
    let recency = i
        .days_since_last_purchase
        .map_or(0.0, |d| 40.0 * (1.0 - d.max(0) as f64 / 180.0).max(0.0));
    let frequency = 30.0 * (i.purchases_last_year.max(0) as f64 / 12.0).min(1.0);
    let activity_points = i.visits + i.logins + 3 * (i.reviews + i.shares);
    let activity = 30.0 * (activity_points.max(0) as f64 / 30.0).min(1.0);
    (recency + frequency + activity).round().clamp(0.0, 100.0) as u8
}

/// The favourite category: the most spent, then the most purchases, then the name.
pub fn favourite<'a>(categories: impl IntoIterator<Item = (&'a str, i64, i64)>) -> Option<&'a str> {
    categories
        .into_iter()
        .max_by(|a, b| (a.2, a.1, b.0).cmp(&(b.2, b.1, a.0)))
        .map(|(name, _, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap()
    }

    #[test]
    fn months_and_categories_are_keyed_as_documented() {
        assert_eq!(month_key(at(2026, 3, 9)), "2026-03");
        assert_eq!(day_key(at(2026, 3, 9)), "2026-03-09");
        assert_eq!(category_key("  Electronics "), "electronics");
        assert_eq!(category_key("ELECTRONICS"), category_key("electronics"));
    }

    #[test]
    fn average_rounds_half_up_and_is_zero_without_purchases() {
        assert_eq!(average(1000, 3), 333);
        assert_eq!(average(1001, 2), 501);
        assert_eq!(average(0, 0), 0);
    }

    #[test]
    fn lifetime_value_adds_two_years_at_the_last_years_rate() {
        assert_eq!(lifetime_value(50_000, 12_000), 74_000);
    }

    #[test]
    fn the_engagement_score_follows_its_formula() {
        assert_eq!(engagement_score(EngagementInputs::default()), 0);
        let fresh = EngagementInputs {
            days_since_last_purchase: Some(0),
            purchases_last_year: 12,
            visits: 30,
            ..Default::default()
        };
        assert_eq!(engagement_score(fresh), 100);
        let half = EngagementInputs {
            days_since_last_purchase: Some(90),
            purchases_last_year: 6,
            reviews: 5,
            ..Default::default()
        };
        // 20 + 15 + 15
        assert_eq!(engagement_score(half), 50);
        let gone = EngagementInputs {
            days_since_last_purchase: Some(400),
            ..Default::default()
        };
        assert_eq!(engagement_score(gone), 0);
    }

    #[test]
    fn the_favourite_is_the_most_spent_then_the_most_bought_then_the_name() {
        assert_eq!(
            favourite([("books", 3, 500), ("games", 1, 900)]),
            Some("games")
        );
        assert_eq!(
            favourite([("books", 3, 900), ("games", 1, 900)]),
            Some("books")
        );
        assert_eq!(favourite([("b", 1, 900), ("a", 1, 900)]), Some("a"));
        assert_eq!(favourite(Vec::<(&str, i64, i64)>::new()), None);
    }
}

/// The last `months` calendar months ending with `now`'s, oldest first, as `(year, month)`.
pub fn month_window(now: NaiveDateTime, months: u32) -> Vec<(i32, u32)> {
    let current = now.year() * 12 + now.month0() as i32;
    (0..months as i32)
        .rev()
        .map(|back| {
            let m = current - back;
            (m.div_euclid(12), m.rem_euclid(12) as u32 + 1)
        })
        .collect()
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_AR: [&str; 12] = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
];

/// A month's label in the request's language, e.g. `November 2026` / `نوفمبر 2026`.
pub fn month_label(year: i32, month: u32, locale: cid_common::Locale) -> String {
    let i = (month.clamp(1, 12) - 1) as usize;
    let name = match locale {
        cid_common::Locale::En => MONTHS_EN[i],
        cid_common::Locale::Ar => MONTHS_AR[i],
    };
    format!("{name} {year}")
}

/// Shares of `amounts` in hundredths of a percent that add up to exactly 10,000 (100.00 %):
/// each share rounded down, the hundredths left over given one each to the largest
/// remainders (ties: the larger amount first, then the earlier in the list).
pub fn shares_basis_points(amounts: &[i64]) -> Vec<i64> {
    let total: i64 = amounts.iter().map(|a| (*a).max(0)).sum();
    if total == 0 {
        return vec![0; amounts.len()];
    }
    let exact: Vec<(i64, i64)> = amounts
        .iter()
        .map(|a| {
            let scaled = i128::from((*a).max(0)) * 10_000;
            let total = i128::from(total);
            ((scaled / total) as i64, (scaled % total) as i64)
        })
        .collect();
    let mut shares: Vec<i64> = exact.iter().map(|(floor, _)| *floor).collect();
    let left = 10_000 - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..amounts.len()).collect();
    order.sort_by(|&a, &b| {
        exact[b]
            .1
            .cmp(&exact[a].1)
            .then(amounts[b].cmp(&amounts[a]))
            .then(a.cmp(&b))
    });
    for &i in order.iter().take(left.max(0) as usize) {
        shares[i] += 1;
    }
    shares
}

#[cfg(test)]
mod window_tests {
    use super::*;

    #[test]
    fn the_window_is_whole_calendar_months_ending_with_the_current_one() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 2, 15)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap();
        assert_eq!(
            month_window(now, 4),
            vec![(2025, 11), (2025, 12), (2026, 1), (2026, 2)]
        );
        assert_eq!(month_window(now, 1), vec![(2026, 2)]);
        assert_eq!(
            month_label(2026, 11, cid_common::Locale::En),
            "November 2026"
        );
        assert_eq!(month_label(2026, 11, cid_common::Locale::Ar), "نوفمبر 2026");
    }

    #[test]
    fn shares_add_up_to_exactly_one_hundred_by_largest_remainder() {
        assert_eq!(shares_basis_points(&[1, 1, 1]), vec![3334, 3333, 3333]);
        assert_eq!(shares_basis_points(&[2, 1]), vec![6667, 3333]);
        assert_eq!(shares_basis_points(&[5]), vec![10_000]);
        assert_eq!(shares_basis_points(&[]), Vec::<i64>::new());
        assert_eq!(shares_basis_points(&[0, 0]), vec![0, 0]);
        for amounts in [
            vec![7, 13, 29, 51],
            vec![1, 2, 3, 4, 5, 6, 7],
            vec![999_999, 1, 1],
        ] {
            assert_eq!(
                shares_basis_points(&amounts).iter().sum::<i64>(),
                10_000,
                "{amounts:?}"
            );
        }
    }
}

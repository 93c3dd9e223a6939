//! Milestones the ledger can tell: the first and tenth purchase and 1,000 lifetime points
//! (SPEC §3.9). Special-date rewards read them to issue milestone rewards; reversed earnings
//! do not count towards a milestone.

use std::collections::HashSet;

use chrono::NaiveDateTime;

/// Lifetime points that make the points milestone.
pub const LIFETIME_POINTS: i64 = 1_000;
/// Purchase counts that are milestones.
pub const PURCHASES: [(usize, &str); 2] = [(1, "first_purchase"), (10, "tenth_purchase")];
pub const LIFETIME_KEY: &str = "lifetime_points_1000";

/// One earning as the milestones see it: `(entry id, points, created at)`, oldest first.
pub type Earning = (i64, i32, NaiveDateTime);

/// `(milestone key, reached at)` for every milestone reached.
pub fn reached(
    purchases: &[Earning],
    earnings: &[Earning],
    reversed: &HashSet<i64>,
) -> Vec<(&'static str, NaiveDateTime)> {
    let standing = |list: &[Earning]| -> Vec<Earning> {
        list.iter()
            .copied()
            .filter(|(id, ..)| !reversed.contains(id))
            .collect()
    };
    let purchases = standing(purchases);
    let mut out: Vec<_> = PURCHASES
        .iter()
        .filter_map(|(n, key)| purchases.get(n - 1).map(|(_, _, at)| (*key, *at)))
        .collect();
    let mut total = 0i64;
    for (_, points, at) in standing(earnings) {
        total += i64::from(points);
        if total >= LIFETIME_POINTS {
            out.push((LIFETIME_KEY, at));
            break;
        }
    }
    out
}

/// How many earnings to load so that the milestones are decided whatever was reversed:
/// every earning has at least one point, so 1,000 standing earnings always reach the
/// points milestone.
pub fn load_limits(reversed: usize) -> (i64, i64) {
    let extra = i64::try_from(reversed).unwrap_or(i64::MAX / 2);
    (10 + extra, LIFETIME_POINTS + extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, day)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
    }

    #[test]
    fn nothing_reached_without_earnings() {
        assert!(reached(&[], &[], &HashSet::new()).is_empty());
    }

    #[test]
    fn first_and_tenth_purchase_skip_reversed_ones() {
        let purchases: Vec<Earning> = (1..=11).map(|d| (i64::from(d), 10, at(d))).collect();
        let reversed = HashSet::from([1]);
        let got = reached(&purchases, &purchases, &reversed);
        assert_eq!(
            got,
            vec![("first_purchase", at(2)), ("tenth_purchase", at(11))]
        );
    }

    #[test]
    fn the_points_milestone_is_the_earning_that_crosses_1000() {
        let earnings = vec![
            (1, 600, at(1)),
            (2, 399, at(2)),
            (3, 1, at(3)),
            (4, 5, at(4)),
        ];
        assert_eq!(
            reached(&[], &earnings, &HashSet::new()),
            vec![(LIFETIME_KEY, at(3))]
        );
        // Reversing the first earning moves the crossing out of reach.
        assert!(reached(&[], &earnings, &HashSet::from([1])).is_empty());
    }
}

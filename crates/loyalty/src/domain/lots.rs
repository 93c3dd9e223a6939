//! Spending from earning lots: soonest-expiring first (SPEC §3.2).

/// An earning entry with points still unspent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    pub entry_id: i64,
    pub remaining: i64,
}

/// How many points to take from which lot. `lots` must already be ordered soonest-expiring
/// first; `preferred` (the lot a reversal undoes) is drained before the others. Returns the
/// takes and the part of `amount` no lot could cover.
pub fn allocate(lots: &[Lot], amount: i64, preferred: Option<i64>) -> (Vec<(i64, i64)>, i64) {
    let mut left = amount.max(0);
    let mut takes = Vec::new();
    let order = lots
        .iter()
        .filter(|l| Some(l.entry_id) == preferred)
        .chain(lots.iter().filter(|l| Some(l.entry_id) != preferred));
    for lot in order {
        if left == 0 {
            break;
        }
        let take = lot.remaining.min(left);
        if take > 0 {
            takes.push((lot.entry_id, take));
            left -= take;
        }
    }
    (takes, left)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOTS: [Lot; 3] = [
        Lot {
            entry_id: 1,
            remaining: 50,
        },
        Lot {
            entry_id: 2,
            remaining: 30,
        },
        Lot {
            entry_id: 3,
            remaining: 100,
        },
    ];

    #[test]
    fn allocate_spends_the_soonest_expiring_lots_first() {
        assert_eq!(allocate(&LOTS, 60, None), (vec![(1, 50), (2, 10)], 0));
    }

    #[test]
    fn allocate_drains_the_preferred_lot_first() {
        assert_eq!(allocate(&LOTS, 120, Some(3)), (vec![(3, 100), (1, 20)], 0));
    }

    #[test]
    fn allocate_reports_what_no_lot_covers() {
        assert_eq!(
            allocate(&LOTS, 200, None),
            (vec![(1, 50), (2, 30), (3, 100)], 20)
        );
    }
}

//! What a ledger entry records: the earn types and the movements that take points away.

use super::earn::EarnType;

cid_common::text_enum! {
    /// A ledger entry's type, stored as text.
    pub enum EntryType {
        Purchase = "purchase",
        Referral = "referral",
        Review = "review",
        Birthday = "birthday",
        Reward = "reward",
        Manual = "manual",
        /// Points spent on a reward.
        Redeem = "redeem",
        /// Points of a lot whose expiry passed.
        Expire = "expire",
        /// An earning undone (a refund).
        Reversal = "reversal",
    }
}

impl From<EarnType> for EntryType {
    fn from(t: EarnType) -> Self {
        match t {
            EarnType::Purchase => Self::Purchase,
            EarnType::Referral => Self::Referral,
            EarnType::Review => Self::Review,
            EarnType::Birthday => Self::Birthday,
            EarnType::Reward => Self::Reward,
            EarnType::Manual => Self::Manual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_earn_type_is_an_entry_type_of_the_same_name() {
        for t in [
            EarnType::Purchase,
            EarnType::Referral,
            EarnType::Review,
            EarnType::Birthday,
            EarnType::Reward,
            EarnType::Manual,
        ] {
            assert_eq!(EntryType::from(t).as_str(), t.as_str());
        }
    }
}

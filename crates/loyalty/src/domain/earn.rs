//! Earning rates (SPEC §3.2): what the earn endpoint really applies and `earn/methods` lists.

use cid_common::Localized;

/// Why points were earned: the wire type shared with the services that credit points.
pub use cid_common::contracts::loyalty::EarnType;

/// Loyalty's rules about each earn type.
pub trait EarnRules {
    /// Points credited when the request names the type but no amount.
    fn fixed_points(self) -> Option<i64>;
    fn default_reason(self) -> &'static str;
}

impl EarnRules for EarnType {
    fn fixed_points(self) -> Option<i64> {
        match self {
            Self::Referral => Some(REFERRAL_POINTS),
            Self::Review => Some(REVIEW_POINTS),
            Self::Birthday => Some(BIRTHDAY_POINTS),
            _ => None,
        }
    }

    fn default_reason(self) -> &'static str {
        match self {
            Self::Purchase => "Purchase",
            Self::Referral => "Referral bonus",
            Self::Review => "Product review",
            Self::Birthday => "Birthday bonus",
            Self::Reward => "Reward",
            Self::Manual => "Manual adjustment",
        }
    }
}

pub const POINTS_PER_RIYAL: i64 = 1;
pub const REFERRAL_POINTS: i64 = 100;
pub const REVIEW_POINTS: i64 = 50;
pub const BIRTHDAY_POINTS: i64 = 500;
/// The currency purchases earn in; the rate is per whole unit of it.
pub const EARN_CURRENCY: &str = "SAR";

/// Points for a purchase of `minor` halalas: one per whole riyal, rounded down (the rule is
/// shared with offers, whose points multiplier counts by it).
pub use cid_common::contracts::loyalty::purchase_points;

pub struct EarnMethod {
    pub method: &'static str,
    pub earn_type: EarnType,
    pub points: i64,
    pub per: Option<&'static str>,
    pub name: Localized,
    pub description: Localized,
}

pub const METHODS: [EarnMethod; 4] = [
    EarnMethod {
        method: "shopping",
        earn_type: EarnType::Purchase,
        points: POINTS_PER_RIYAL,
        per: Some(EARN_CURRENCY),
        name: Localized::new("Shopping", "التسوق"),
        description: Localized::new("1 point for every riyal spent", "نقطة واحدة لكل ريال تنفقه"),
    },
    EarnMethod {
        method: "referral",
        earn_type: EarnType::Referral,
        points: REFERRAL_POINTS,
        per: None,
        name: Localized::new("Referral", "الإحالة"),
        description: Localized::new(
            "100 points when a friend you referred makes a first purchase",
            "100 نقطة عند أول عملية شراء لصديق قمت بدعوته",
        ),
    },
    EarnMethod {
        method: "review",
        earn_type: EarnType::Review,
        points: REVIEW_POINTS,
        per: None,
        name: Localized::new("Product review", "تقييم المنتج"),
        description: Localized::new(
            "50 points for each product review",
            "50 نقطة لكل تقييم منتج",
        ),
    },
    EarnMethod {
        method: "birthday",
        earn_type: EarnType::Birthday,
        points: BIRTHDAY_POINTS,
        per: None,
        name: Localized::new("Birthday", "عيد الميلاد"),
        description: Localized::new("500 points on your birthday", "500 نقطة في يوم ميلادك"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_points_floor_whole_riyals() {
        assert_eq!(purchase_points(0), 0);
        assert_eq!(purchase_points(99), 0);
        assert_eq!(purchase_points(100), 1);
        assert_eq!(purchase_points(12_399), 123);
    }

    #[test]
    fn methods_list_the_rates_the_earn_endpoint_applies() {
        for m in &METHODS {
            match m.earn_type.fixed_points() {
                Some(points) => assert_eq!(points, m.points),
                None => assert_eq!(purchase_points(100), m.points),
            }
        }
    }
}

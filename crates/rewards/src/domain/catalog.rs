//! The reward catalog (SPEC §3.9), in both languages.

use cid_common::Localized;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Birthday,
    Anniversary,
    Holiday,
    Milestone,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Birthday,
        Kind::Anniversary,
        Kind::Holiday,
        Kind::Milestone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Birthday => "birthday",
            Self::Anniversary => "anniversary",
            Self::Holiday => "holiday",
            Self::Milestone => "milestone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn entry(self) -> &'static Entry {
        match self {
            Self::Birthday => &CATALOG[0],
            Self::Anniversary => &CATALOG[1],
            Self::Holiday => &CATALOG[2],
            Self::Milestone => &CATALOG[3],
        }
    }

    /// The loyalty earn type a claim of this kind credits.
    /// The ledger type the claimed points are credited under.
    pub fn earn_type(self) -> cid_common::contracts::loyalty::EarnType {
        use cid_common::contracts::loyalty::EarnType;
        match self {
            Self::Birthday => EarnType::Birthday,
            _ => EarnType::Reward,
        }
    }
}

pub struct Entry {
    pub kind: Kind,
    pub name: Localized,
    pub description: Localized,
    pub points: i32,
    pub discount_percent: i32,
    /// Days the reward can be claimed from its date; `None` for holidays, whose window is
    /// the holiday's own dates in the calendar.
    pub validity_days: Option<i64>,
}

pub static CATALOG: [Entry; 4] = [
    Entry {
        kind: Kind::Birthday,
        name: Localized::new("Birthday reward", "مكافأة عيد الميلاد"),
        description: Localized::new(
            "500 points and 25% off, to claim within 30 days from your birthday.",
            "500 نقطة وخصم 25٪، تطالب بها خلال 30 يومًا من يوم ميلادك.",
        ),
        points: 500,
        discount_percent: 25,
        validity_days: Some(30),
    },
    Entry {
        kind: Kind::Anniversary,
        name: Localized::new("Membership anniversary", "ذكرى الانضمام"),
        description: Localized::new(
            "300 points and 15% off on each anniversary of joining, for 30 days.",
            "300 نقطة وخصم 15٪ في كل ذكرى لانضمامك، لمدة 30 يومًا.",
        ),
        points: 300,
        discount_percent: 15,
        validity_days: Some(30),
    },
    Entry {
        kind: Kind::Holiday,
        name: Localized::new("Holiday reward", "مكافأة المناسبة"),
        description: Localized::new(
            "200 points and 10% off during each holiday of the calendar.",
            "200 نقطة وخصم 10٪ خلال كل مناسبة في التقويم.",
        ),
        points: 200,
        discount_percent: 10,
        validity_days: None,
    },
    Entry {
        kind: Kind::Milestone,
        name: Localized::new("Milestone reward", "مكافأة الإنجاز"),
        description: Localized::new(
            "400 points and 20% off for your first purchase, your 10th purchase and your first 1,000 points, for 60 days.",
            "400 نقطة وخصم 20٪ لأول عملية شراء، وللشراء العاشر، ولأول 1,000 نقطة، لمدة 60 يومًا.",
        ),
        points: 400,
        discount_percent: 20,
        validity_days: Some(60),
    },
];

/// Names of the milestones loyalty reports.
pub fn milestone_name(key: &str) -> Option<Localized> {
    Some(match key {
        "first_purchase" => Localized::new("First purchase", "أول عملية شراء"),
        "tenth_purchase" => Localized::new("10th purchase", "الشراء العاشر"),
        "lifetime_points_1000" => Localized::new("1,000 lifetime points", "1,000 نقطة مكتسبة"),
        _ => return None,
    })
}

/// Read from the `reward_type` column.
impl TryFrom<String> for Kind {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown reward type `{raw}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_finds_its_own_entry() {
        for kind in Kind::ALL {
            assert_eq!(kind.entry().kind, kind);
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("Birthday"), None);
    }

    #[test]
    fn the_catalog_has_the_spec_values() {
        let values: Vec<_> = CATALOG
            .iter()
            .map(|e| (e.points, e.discount_percent, e.validity_days))
            .collect();
        assert_eq!(
            values,
            vec![
                (500, 25, Some(30)),
                (300, 15, Some(30)),
                (200, 10, None),
                (400, 20, Some(60))
            ]
        );
    }
}

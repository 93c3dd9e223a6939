//! Which reward instances a customer should have on a given day, and what state each is in.
//! Pure: the registry's dates, loyalty's milestones and the holiday calendar come in as
//! [`Facts`] and [`Holiday`]s; "today" is the business day (see `RewardsSettings`).

use chrono::{Datelike, Days, NaiveDate};

use super::catalog::{self, Kind};

/// One holiday of the calendar (configuration), with its inclusive window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub key: String,
    pub name_en: String,
    pub name_ar: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// What the registry and loyalty say about a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub birth_date: Option<NaiveDate>,
    pub join_date: NaiveDate,
    pub active: bool,
    /// `(milestone key, day reached)`.
    pub milestones: Vec<(String, NaiveDate)>,
}

/// One reward instance the customer should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub kind: Kind,
    pub occurrence: String,
    pub name_en: String,
    pub name_ar: String,
    pub points: i32,
    pub discount_percent: i32,
    pub special_date: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

/// An instance already issued, as far as planning needs it.
#[derive(Debug, Clone)]
pub struct Existing {
    pub id: i64,
    pub kind: Kind,
    pub occurrence: String,
    pub claimed: bool,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Insert(Desired),
    /// An unclaimed birthday, anniversary or holiday that has not opened yet follows a
    /// corrected date (a fixed birth date, an Eid moved to its announced day).
    Move {
        id: i64,
        to: Desired,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Upcoming,
    Available,
    Claimed,
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upcoming => "upcoming",
            Self::Available => "available",
            Self::Claimed => "claimed",
            Self::Expired => "expired",
        }
    }
}

pub fn status(claimed: bool, from: NaiveDate, until: NaiveDate, today: NaiveDate) -> Status {
    if claimed {
        Status::Claimed
    } else if today < from {
        Status::Upcoming
    } else if today <= until {
        Status::Available
    } else {
        Status::Expired
    }
}

/// `anchor`'s month and day in `year`; 29 February falls on 28 February in other years.
pub fn on_year(anchor: NaiveDate, year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, anchor.month(), anchor.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, anchor.month(), anchor.day() - 1))
        .unwrap_or(anchor)
}

fn plus_days(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_days(Days::new(u64::try_from(days).unwrap_or(0)))
        .unwrap_or(date)
}

/// How far ahead and back holidays of the calendar are issued.
const HOLIDAY_HORIZON_DAYS: i64 = 365;

fn from_catalog(kind: Kind, occurrence: String, date: NaiveDate, days: i64) -> Desired {
    let e = kind.entry();
    Desired {
        kind,
        occurrence,
        name_en: e.name.en.to_owned(),
        name_ar: e.name.ar.to_owned(),
        points: e.points,
        discount_percent: e.discount_percent,
        special_date: date,
        valid_from: date,
        valid_until: plus_days(date, days - 1),
    }
}

/// Last year's occurrence while its window is still open, this year's, and next year's
/// when this year's is no longer ahead — never one whose window closed before the customer
/// joined.
fn yearly(
    kind: Kind,
    anchor: NaiveDate,
    first_year: i32,
    facts: &Facts,
    today: NaiveDate,
) -> Vec<Desired> {
    let days = kind.entry().validity_days.unwrap_or(30);
    let mut out = Vec::new();
    let mut ahead = false;
    for year in today.year() - 1..=today.year() + 1 {
        if year < first_year || (year == today.year() + 1 && ahead) {
            continue;
        }
        let d = from_catalog(kind, year.to_string(), on_year(anchor, year), days);
        let open = d.valid_until >= today;
        if d.valid_until < facts.join_date || (year < today.year() && !open) {
            continue;
        }
        ahead |= d.valid_from > today;
        out.push(d);
    }
    out
}

/// Every instance the customer should have today.
pub fn desired(facts: &Facts, holidays: &[Holiday], today: NaiveDate) -> Vec<Desired> {
    if !facts.active {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(birth) = facts.birth_date {
        out.extend(yearly(
            Kind::Birthday,
            birth,
            birth.year() + 1,
            facts,
            today,
        ));
    }
    let join = facts.join_date;
    out.extend(yearly(
        Kind::Anniversary,
        join,
        join.year() + 1,
        facts,
        today,
    ));
    let horizon = |d: NaiveDate| (d - today).num_days().abs() <= HOLIDAY_HORIZON_DAYS;
    for h in holidays {
        if h.end >= join && (horizon(h.start) || horizon(h.end)) {
            let e = Kind::Holiday.entry();
            out.push(Desired {
                kind: Kind::Holiday,
                occurrence: h.key.clone(),
                name_en: h.name_en.clone(),
                name_ar: h.name_ar.clone(),
                points: e.points,
                discount_percent: e.discount_percent,
                special_date: h.start,
                valid_from: h.start,
                valid_until: h.end,
            });
        }
    }
    for (key, day) in &facts.milestones {
        if let Some(name) = catalog::milestone_name(key) {
            let days = Kind::Milestone.entry().validity_days.unwrap_or(60);
            let mut d = from_catalog(Kind::Milestone, key.clone(), *day, days);
            d.name_en = name.en.to_owned();
            d.name_ar = name.ar.to_owned();
            out.push(d);
        }
    }
    out
}

/// The writes that bring `existing` in line with `desired`.
pub fn plan(existing: &[Existing], desired: Vec<Desired>, today: NaiveDate) -> Vec<Change> {
    let mut changes = Vec::new();
    for d in desired {
        match existing
            .iter()
            .find(|e| e.kind == d.kind && e.occurrence == d.occurrence)
        {
            None => changes.push(Change::Insert(d)),
            Some(e)
                if e.kind != Kind::Milestone
                    && !e.claimed
                    && e.valid_from > today
                    && (e.valid_from, e.valid_until) != (d.valid_from, d.valid_until) =>
            {
                changes.push(Change::Move { id: e.id, to: d });
            }
            Some(_) => {}
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn facts(birth: Option<NaiveDate>, join: NaiveDate) -> Facts {
        Facts {
            birth_date: birth,
            join_date: join,
            active: true,
            milestones: vec![],
        }
    }

    fn summary(list: &[Desired], today: NaiveDate) -> Vec<(&'static str, String, &'static str)> {
        list.iter()
            .map(|d| {
                (
                    d.kind.as_str(),
                    d.occurrence.clone(),
                    status(false, d.valid_from, d.valid_until, today).as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn a_29_february_birthday_falls_on_28_february_in_other_years() {
        let birth = day(2000, 2, 29);
        assert_eq!(on_year(birth, 2027), day(2027, 2, 28));
        assert_eq!(on_year(birth, 2028), day(2028, 2, 29));
        let list = desired(&facts(Some(birth), day(2020, 1, 1)), &[], day(2027, 3, 1));
        let b = list.iter().find(|d| d.kind == Kind::Birthday).unwrap();
        assert_eq!(
            (b.valid_from, b.valid_until),
            (day(2027, 2, 28), day(2027, 3, 29))
        );
    }

    #[test]
    fn a_birthday_is_upcoming_then_available_for_30_days_then_expired() {
        let (from, until) = (day(2026, 6, 10), day(2026, 7, 9));
        assert_eq!(
            status(false, from, until, day(2026, 6, 9)),
            Status::Upcoming
        );
        assert_eq!(
            status(false, from, until, day(2026, 6, 10)),
            Status::Available
        );
        assert_eq!(
            status(false, from, until, day(2026, 7, 9)),
            Status::Available
        );
        assert_eq!(
            status(false, from, until, day(2026, 7, 10)),
            Status::Expired
        );
        assert_eq!(status(true, from, until, day(2026, 7, 10)), Status::Claimed);
        let list = desired(
            &facts(Some(day(1990, 6, 10)), day(2020, 1, 1)),
            &[],
            day(2026, 6, 1),
        );
        let b = &list[0];
        assert_eq!((b.valid_from, b.valid_until), (from, until));
    }

    #[test]
    fn this_years_birthday_once_past_brings_next_years_as_upcoming() {
        let f = facts(Some(day(1990, 3, 1)), day(2020, 1, 1));
        let got = summary(&desired(&f, &[], day(2026, 11, 27)), day(2026, 11, 27));
        assert_eq!(
            got,
            vec![
                ("birthday", "2026".into(), "expired"),
                ("birthday", "2027".into(), "upcoming"),
                ("anniversary", "2026".into(), "expired"),
                ("anniversary", "2027".into(), "upcoming"),
            ]
        );
    }

    #[test]
    fn last_years_window_counts_while_it_is_still_open() {
        let f = facts(Some(day(1990, 12, 20)), day(2020, 5, 5));
        let got = summary(&desired(&f, &[], day(2027, 1, 5)), day(2027, 1, 5));
        assert_eq!(got[0], ("birthday", "2026".into(), "available"));
        assert_eq!(got[1], ("birthday", "2027".into(), "upcoming"));
    }

    #[test]
    fn nothing_whose_window_closed_before_joining_and_no_anniversary_in_the_join_year() {
        let join = day(2026, 11, 27);
        let f = facts(Some(day(1990, 3, 1)), join);
        let got = summary(&desired(&f, &[], join), join);
        assert_eq!(
            got,
            vec![
                ("birthday", "2027".into(), "upcoming"),
                ("anniversary", "2027".into(), "upcoming"),
            ]
        );
        // Born 20 days ago in the calendar: this year's window is still open on joining.
        let f = facts(Some(day(1990, 11, 7)), join);
        assert_eq!(
            summary(&desired(&f, &[], join), join)[0],
            ("birthday", "2026".into(), "available")
        );
    }

    #[test]
    fn holidays_within_a_year_after_joining_and_milestones_for_60_days() {
        let h = |key: &str, start, end| Holiday {
            key: key.into(),
            name_en: key.into(),
            name_ar: key.into(),
            start,
            end,
        };
        let calendar = [
            h("old", day(2024, 4, 10), day(2024, 4, 12)),
            h("before-join", day(2026, 3, 20), day(2026, 3, 23)),
            h("national-day-2026", day(2026, 9, 23), day(2026, 9, 24)),
            h("eid-2027", day(2027, 3, 10), day(2027, 3, 13)),
        ];
        let mut f = facts(None, day(2026, 6, 1));
        f.milestones = vec![
            ("first_purchase".into(), day(2026, 11, 1)),
            ("unknown".into(), day(2026, 11, 1)),
        ];
        let today = day(2026, 11, 27);
        let list = desired(&f, &calendar, today);
        let got = summary(&list, today);
        assert_eq!(
            got,
            vec![
                ("anniversary", "2027".into(), "upcoming"),
                ("holiday", "national-day-2026".into(), "expired"),
                ("holiday", "eid-2027".into(), "upcoming"),
                ("milestone", "first_purchase".into(), "available"),
            ]
        );
        let m = list.last().unwrap();
        assert_eq!(m.valid_until, day(2026, 12, 30));
        assert_eq!((m.points, m.name_en.as_str()), (400, "First purchase"));
    }

    #[test]
    fn deactivated_customers_get_nothing_new() {
        let mut f = facts(Some(day(1990, 3, 1)), day(2020, 1, 1));
        f.active = false;
        assert!(desired(&f, &[], day(2026, 3, 1)).is_empty());
    }

    #[test]
    fn a_holiday_not_yet_open_follows_its_corrected_dates() {
        let today = day(2026, 11, 27);
        let eid = |start, end| Holiday {
            key: "eid-al-fitr-2027".into(),
            name_en: "Eid al-Fitr".into(),
            name_ar: "عيد الفطر".into(),
            start,
            end,
        };
        let issued = Existing {
            id: 3,
            kind: Kind::Holiday,
            occurrence: "eid-al-fitr-2027".into(),
            claimed: false,
            valid_from: day(2027, 3, 10),
            valid_until: day(2027, 3, 16),
        };
        let f = facts(None, day(2026, 11, 1));
        let same = desired(&f, &[eid(day(2027, 3, 10), day(2027, 3, 16))], today);
        assert!(
            plan(std::slice::from_ref(&issued), same, today)
                .iter()
                .all(|c| !matches!(c, Change::Move { .. }))
        );
        let moved = desired(&f, &[eid(day(2027, 3, 9), day(2027, 3, 15))], today);
        let changes = plan(&[issued], moved, today);
        assert!(
            changes.iter().any(
                |c| matches!(c, Change::Move { id: 3, to } if to.valid_from == day(2027, 3, 9))
            ),
            "{changes:?}"
        );
    }

    #[test]
    fn planning_inserts_missing_and_moves_only_unclaimed_future_birthdays() {
        let today = day(2026, 11, 27);
        let f = facts(Some(day(1990, 12, 10)), day(2020, 1, 1));
        let wanted = desired(&f, &[], today);
        let existing = |claimed, from| Existing {
            id: 7,
            kind: Kind::Birthday,
            occurrence: "2026".into(),
            claimed,
            valid_from: from,
            valid_until: from + Days::new(29),
        };
        // Nothing issued yet: everything is inserted; issuing again changes nothing.
        assert_eq!(plan(&[], wanted.clone(), today).len(), wanted.len());
        let issued: Vec<Existing> = wanted
            .iter()
            .enumerate()
            .map(|(i, d)| Existing {
                id: i as i64,
                kind: d.kind,
                occurrence: d.occurrence.clone(),
                claimed: false,
                valid_from: d.valid_from,
                valid_until: d.valid_until,
            })
            .collect();
        assert!(plan(&issued, wanted.clone(), today).is_empty());
        // A corrected birth date moves an upcoming birthday...
        let moved = plan(&[existing(false, day(2026, 12, 20))], wanted.clone(), today);
        assert!(
            matches!(&moved[0], Change::Move { id: 7, to } if to.valid_from == day(2026, 12, 10))
        );
        // ...but never a claimed one or one whose window has started.
        let birthday_only = |c: &[Change]| {
            c.iter()
                .filter(|c| matches!(c, Change::Move { .. }))
                .count()
        };
        assert_eq!(
            birthday_only(&plan(
                &[existing(true, day(2026, 12, 20))],
                wanted.clone(),
                today
            )),
            0
        );
        assert_eq!(
            birthday_only(&plan(&[existing(false, day(2026, 11, 20))], wanted, today)),
            0
        );
    }
}

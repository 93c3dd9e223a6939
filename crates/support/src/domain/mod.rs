//! The ticket rules, pure and unit-tested: priorities and their SLA, the status machine and
//! who may make each move, and ticket IDs.

use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;

pub use cid_common::contracts::support::Category;

cid_common::text_enum! {
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[schema(as = TicketPriority)]
    #[serde(rename_all = "lowercase")]
    pub enum Priority {
        Low = "low",
        Medium = "medium",
        High = "high",
        Urgent = "urgent",
    }
}

cid_common::text_enum! {
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[schema(as = TicketStatus)]
    #[serde(rename_all = "snake_case")]
    pub enum Status {
        Open = "open",
        InProgress = "in_progress",
        Resolved = "resolved",
        Closed = "closed",
    }
}

impl Status {
    /// The status, or the reference's `in-progress` spelling of one.
    pub fn from_wire(text: &str) -> Option<Self> {
        Self::parse(text).or_else(|| (text == "in-progress").then_some(Self::InProgress))
    }

    /// Still waiting for the support team (in the staff queue).
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

/// Who asks for a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    /// An agent or admin.
    Staff,
    /// The customer the ticket belongs to.
    Owner,
}

/// The moves `who` may make from `from`: staff move tickets forward (and may reopen a
/// resolved one); the customer may close theirs or reopen a resolved one.
pub fn moves(from: Status, who: Mover) -> Vec<Status> {
    use Status::*;
    match (from, who) {
        (Open, Mover::Staff) => vec![InProgress, Closed],
        (Open, Mover::Owner) => vec![Closed],
        (InProgress, Mover::Staff) => vec![Resolved],
        (InProgress, Mover::Owner) => vec![],
        (Resolved, _) => vec![Open, Closed],
        (Closed, _) => vec![],
    }
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a move `who` may make from here; the ones they may.
    NotAllowed { allowed: Vec<Status> },
    /// The customer reopens only within the window after resolution.
    ReopenWindowOver { resolved_at: NaiveDateTime },
}

/// Checks a move. A customer reopens within `reopen_days` of resolution.
pub fn check(
    from: Status,
    to: Status,
    who: Mover,
    resolved_at: Option<NaiveDateTime>,
    reopen_days: i64,
    now: NaiveDateTime,
) -> Result<(), Refusal> {
    let allowed = moves(from, who);
    if !allowed.contains(&to) {
        return Err(Refusal::NotAllowed { allowed });
    }
    if from == Status::Resolved
        && to == Status::Open
        && who == Mover::Owner
        && let Some(at) = resolved_at
        && now > at + Duration::days(reopen_days)
    {
        return Err(Refusal::ReopenWindowOver { resolved_at: at });
    }
    Ok(())
}

/// Hours to answer by priority (`[support.sla_hours]`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaHours {
    pub urgent: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
}

impl Default for SlaHours {
    fn default() -> Self {
        Self {
            urgent: 4,
            high: 8,
            medium: 24,
            low: 72,
        }
    }
}

impl SlaHours {
    pub fn due(&self, priority: Priority, created: NaiveDateTime) -> NaiveDateTime {
        let hours = match priority {
            Priority::Urgent => self.urgent,
            Priority::High => self.high,
            Priority::Medium => self.medium,
            Priority::Low => self.low,
        };
        created + Duration::hours(hours)
    }
}

/// Past its SLA due time while still waiting for the team.
pub fn breached(status: Status, sla_due_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    status.is_pending() && now > sla_due_at
}

/// Letters and digits that cannot be mistaken for each other (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// `TKT-<YYYY>-<8 chars>` from eight random bytes.
pub fn ticket_id(year: i32, random: [u8; 8]) -> String {
    let tail: String = random
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("TKT-{year}-{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn the_machine_allows_exactly_the_documented_moves() {
        use Status::*;
        let now = at("2026-11-30 12:00");
        for (from, to, who) in [
            (Open, InProgress, Mover::Staff),
            (InProgress, Resolved, Mover::Staff),
            (Resolved, Closed, Mover::Staff),
            (Open, Closed, Mover::Staff),
            (Open, Closed, Mover::Owner),
            (Resolved, Closed, Mover::Owner),
            (Resolved, Open, Mover::Owner),
            (Resolved, Open, Mover::Staff),
        ] {
            assert_eq!(
                check(from, to, who, Some(now), 14, now),
                Ok(()),
                "{from} → {to}"
            );
        }
        assert_eq!(
            check(Open, Resolved, Mover::Staff, None, 14, now),
            Err(Refusal::NotAllowed {
                allowed: vec![InProgress, Closed]
            })
        );
        assert_eq!(
            check(InProgress, Closed, Mover::Owner, None, 14, now),
            Err(Refusal::NotAllowed { allowed: vec![] })
        );
        assert!(check(Closed, Open, Mover::Staff, None, 14, now).is_err());
        assert!(check(Open, Open, Mover::Staff, None, 14, now).is_err());
    }

    #[test]
    fn a_customer_reopens_within_fourteen_days_of_resolution_only() {
        let resolved = at("2026-11-01 12:00");
        let ok = check(
            Status::Resolved,
            Status::Open,
            Mover::Owner,
            Some(resolved),
            14,
            at("2026-11-15 12:00"),
        );
        assert_eq!(ok, Ok(()));
        let late = check(
            Status::Resolved,
            Status::Open,
            Mover::Owner,
            Some(resolved),
            14,
            at("2026-11-15 12:01"),
        );
        assert_eq!(
            late,
            Err(Refusal::ReopenWindowOver {
                resolved_at: resolved
            })
        );
        // Staff are not bound by it.
        let staff = check(
            Status::Resolved,
            Status::Open,
            Mover::Staff,
            Some(resolved),
            14,
            at("2026-12-30 00:00"),
        );
        assert_eq!(staff, Ok(()));
    }

    #[test]
    fn sla_by_priority_breach_and_ids() {
        let created = at("2026-11-30 08:00");
        let sla = SlaHours::default();
        assert_eq!(sla.due(Priority::Urgent, created), at("2026-11-30 12:00"));
        assert_eq!(sla.due(Priority::Low, created), at("2026-12-03 08:00"));
        assert!(breached(Status::Open, created, at("2026-11-30 08:01")));
        assert!(!breached(Status::Resolved, created, at("2026-12-30 08:01")));
        assert_eq!(Status::from_wire("in-progress"), Some(Status::InProgress));
        let id = ticket_id(2026, [0, 1, 2, 255, 30, 31, 62, 100]);
        assert_eq!(id.len(), "TKT-2026-".len() + 8);
        assert!(id.starts_with("TKT-2026-"));
        assert!(id[9..].bytes().all(|b| ALPHABET.contains(&b)));
    }
}

//! Use cases of the segmentation service: one transaction each (the customer's assignment row
//! locked first), the clock passed in, rows out. Every change of segment is a history row.

use chrono::NaiveDateTime;
use cid_common::contracts::analytics::CustomerActivity;
use cid_common::contracts::events::types;
use cid_kit::{DbConnection, events};
use diesel::QueryResult;
use serde_json::json;

use crate::domain::{Segment, Source};
use crate::store::{self, Assignment, AssignmentChangeset, NewChange};

/// Who changes a segment when nobody does: the computation.
pub const SYSTEM: &str = "system:segmentation";

fn changeset(
    segment: Segment,
    source: Source,
    reason: Option<&str>,
    activity: Option<&CustomerActivity>,
    now: NaiveDateTime,
) -> AssignmentChangeset {
    AssignmentChangeset {
        segment: segment.as_str().to_owned(),
        source: source.as_str().to_owned(),
        reason: reason.map(str::to_owned),
        metrics: activity
            .and_then(|a| serde_json::to_string(a).ok())
            .unwrap_or_else(|| "{}".to_owned()),
        spent_last_year_minor: activity.map_or(0, |a| a.spent_last_year_minor),
        assigned_at: now,
        computed_at: now,
    }
}

/// A history row, and `segmentation.segment_changed` when the segment itself moved.
fn record_change(
    conn: &mut DbConnection,
    from: Option<Segment>,
    to: &Assignment,
    actor: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if from != Some(to.segment) {
        let data = json!({"from": from.map(Segment::as_str), "to": to.segment.as_str(),
            "source": to.source.as_str()});
        events::record(
            conn,
            types::SEGMENT_CHANGED,
            &to.customer_id,
            data,
            None,
            now,
        )?;
    }
    store::insert_change(
        conn,
        &NewChange {
            customer_id: &to.customer_id,
            from_segment: from.map(Segment::as_str),
            to_segment: to.segment.as_str(),
            source: to.source.as_str(),
            reason: to.reason.as_deref(),
            metrics: &to.metrics,
            actor,
            changed_at: now,
        },
    )
    .map(drop)
}

/// Whether `stored` already says what a computation on `activity` would store: then a read
/// needs no write (reads stay reads while a customer's figures do not move).
pub fn is_current(stored: &Assignment, segment: Segment, activity: &CustomerActivity) -> bool {
    (stored.source == Source::Manual || stored.segment == segment)
        && serde_json::to_string(activity).is_ok_and(|m| m == stored.metrics)
}

/// Stores a computed segment: a manual override keeps its segment (only the figures are
/// refreshed); otherwise a different segment is a change with its history row.
pub fn record_computed(
    conn: &mut DbConnection,
    customer: &str,
    segment: Segment,
    activity: &CustomerActivity,
    now: NaiveDateTime,
) -> QueryResult<Assignment> {
    let computed = changeset(segment, Source::Computed, None, Some(activity), now);
    let (created, current) = store::lock(conn, customer, &computed)?;
    if created {
        record_change(conn, None, &current, SYSTEM, now)?;
        return Ok(current);
    }
    let keep = current.source == Source::Manual || current.segment == segment;
    let next = if keep {
        AssignmentChangeset {
            segment: current.segment.as_str().to_owned(),
            source: current.source.as_str().to_owned(),
            reason: current.reason.clone(),
            assigned_at: current.assigned_at,
            ..computed
        }
    } else {
        computed
    };
    let updated = store::update(conn, customer, &next)?;
    if !keep {
        record_change(conn, Some(current.segment), &updated, SYSTEM, now)?;
    }
    Ok(updated)
}

/// A manual override by `actor`, kept until cleared by a recomputation.
pub fn set_manual(
    conn: &mut DbConnection,
    customer: &str,
    segment: Segment,
    reason: &str,
    actor: &str,
    now: NaiveDateTime,
) -> QueryResult<Assignment> {
    let manual = changeset(segment, Source::Manual, Some(reason), None, now);
    let (created, current) = store::lock(conn, customer, &manual)?;
    if created {
        record_change(conn, None, &current, actor, now)?;
        return Ok(current);
    }
    let next = AssignmentChangeset {
        metrics: current.metrics.clone(),
        spent_last_year_minor: current.spent_last_year_minor,
        computed_at: current.computed_at,
        ..manual
    };
    let updated = store::update(conn, customer, &next)?;
    record_change(conn, Some(current.segment), &updated, actor, now)?;
    Ok(updated)
}

/// Clears any override and stores the computed segment (a history row when anything changed).
pub fn recompute(
    conn: &mut DbConnection,
    customer: &str,
    segment: Segment,
    activity: &CustomerActivity,
    actor: &str,
    now: NaiveDateTime,
) -> QueryResult<Assignment> {
    let computed = changeset(
        segment,
        Source::Computed,
        Some("recompute"),
        Some(activity),
        now,
    );
    let (created, current) = store::lock(conn, customer, &computed)?;
    if created {
        record_change(conn, None, &current, actor, now)?;
        return Ok(current);
    }
    let changed = current.source == Source::Manual || current.segment != segment;
    let updated = store::update(conn, customer, &computed)?;
    if changed {
        record_change(conn, Some(current.segment), &updated, actor, now)?;
    }
    Ok(updated)
}

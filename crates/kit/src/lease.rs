//! Which replica runs a periodic job this period. Every replica of a service runs the same
//! jobs against one database; before a run each tries to move the job's `run_after` a period
//! ahead, and only the one whose update matched runs it. The others learn when to try again.
//! A failed run gives the period back early, so any replica retries within seconds.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::with_backend;

diesel::table! {
    job_leases (name) {
        name -> Text,
        run_after -> Timestamp,
        holder -> Text,
    }
}

/// What a replica learnt when it asked for a job's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// This replica runs the job now; the next period starts at the given time.
    Taken,
    /// Another replica has the period; ask again at this time.
    HeldUntil(NaiveDateTime),
}

/// Asks for the period of `job` starting at `now` and lasting `period`, as `holder`.
pub fn take(
    conn: &mut DbConnection,
    job: &str,
    holder: &str,
    now: NaiveDateTime,
    period: chrono::Duration,
) -> QueryResult<Lease> {
    with_backend!(conn, |c| diesel::insert_into(job_leases::table)
        .values((
            job_leases::name.eq(job),
            job_leases::run_after.eq(now),
            job_leases::holder.eq(holder),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    // The condition is read again after a concurrent update commits (PostgreSQL) or the
    // writes are one at a time (SQLite): two replicas cannot both match.
    let taken = diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(job))
            .filter(job_leases::run_after.le(now)),
    )
    .set((
        job_leases::run_after.eq(now + period),
        job_leases::holder.eq(holder),
    ))
    .execute(conn)?;
    if taken == 1 {
        return Ok(Lease::Taken);
    }
    let until = job_leases::table
        .filter(job_leases::name.eq(job))
        .select(job_leases::run_after)
        .first(conn)?;
    Ok(Lease::HeldUntil(until))
}

/// After a failed run by `holder`: the job is due again at `at` for whichever replica asks.
pub fn give_back(
    conn: &mut DbConnection,
    job: &str,
    holder: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(job))
            .filter(job_leases::holder.eq(holder)),
    )
    .set(job_leases::run_after.eq(at))
    .execute(conn)
}

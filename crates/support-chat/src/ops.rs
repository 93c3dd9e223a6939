//! Use cases of the support chat service: one transaction each, the clock passed in.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, audit};
use diesel::QueryResult;
use serde_json::Value;

use crate::domain::Category;
use crate::domain::faq::SEEDS;
use crate::domain::search::{self, Score};
use crate::store::faq::{self, Entry, EntryFields};

pub mod chat;

/// Writes the shipped entries that were never written (their keys are their IDs); returns
/// how many were new.
pub fn seed(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let mut written = 0;
    for s in SEEDS {
        let fields = EntryFields {
            category: s.category.as_str().to_owned(),
            topic: s.topic.to_owned(),
            question_en: s.question.en.to_owned(),
            question_ar: s.question.ar.to_owned(),
            answer_en: s.answer.en.to_owned(),
            answer_ar: s.answer.ar.to_owned(),
            updated_at: now,
        };
        written += usize::from(faq::insert(conn, s.key, &fields, now)?);
    }
    Ok(written)
}

/// The live entries matching `query` (in either language), best first, at most `limit`.
pub fn search(
    conn: &mut DbConnection,
    query: &str,
    category: Option<Category>,
    limit: usize,
) -> QueryResult<Vec<(Entry, Score)>> {
    let words = search::words(query);
    let mut found: Vec<(Entry, Score)> = faq::list(conn, category)?
        .into_iter()
        .filter_map(|e| {
            let s = search::score(
                &words,
                &[&e.question_en, &e.question_ar],
                &[&e.answer_en, &e.answer_ar],
            )?;
            Some((e, s))
        })
        .collect();
    // Best first; equal scores keep the catalog's order.
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.id.cmp(&b.0.id)));
    found.truncate(limit);
    Ok(found)
}

/// An admin's edit of the catalog, with its audit entry.
pub fn edit(
    conn: &mut DbConnection,
    actor: &audit::Actor,
    action: &str,
    entry_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    audit::record(
        conn,
        actor,
        action,
        &format!("faq:{entry_id}"),
        before,
        after,
        now,
    )
}

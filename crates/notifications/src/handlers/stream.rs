//! The live feed: Server-Sent Events, one `notification` event per new feed entry, its `id`
//! the entry's feed position. A client that reconnects with `Last-Event-ID` gets what it
//! missed first; a new one starts at the present. New entries are announced in-process and
//! also polled for, so entries written by another instance arrive too (within `stream_poll_ms`).

use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use cid_kit::server::Stopping;
use cid_kit::{ApiError, Db, ReadableCustomer};
use tokio::sync::{broadcast, mpsc};

use super::dto::NotificationResponse;
use super::feed::last_event_id;
use crate::NotificationsState;
use crate::store::feed;

const PAGE: i64 = 100;

/// The customer's feed as it grows (owner or staff). Every `heartbeat` without news a comment
/// line keeps proxies from closing the connection.
#[utoipa::path(get, path = "/api/customer-id/notifications/{customerId}/stream", tag = "notifications",
    params(("customerId" = String, Path), ("Last-Event-ID" = Option<String>, Header),
        ("lastEventId" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`event: notification`, `id: <position>`, `data: <the message as in the history>`",
        example = json!("id: 42\nevent: notification\ndata: {\"notificationId\":\"0193a5e2-7c4b-7d1e-9f3a-2b6c8d0e4f51\",\"customerId\":\"CID-2026-000042\",\"type\":\"loyaltyUpdates\",\"title\":\"You earned 250 points\",\"message\":\"Your balance is 1,250 points.\",\"read\":false}\n\n"))))]
pub async fn stream(
    req: HttpRequest,
    customer: ReadableCustomer,
    query: web::Query<std::collections::HashMap<String, String>>,
    db: web::Data<Db>,
    state: web::Data<NotificationsState>,
    stopping: web::Data<Stopping>,
) -> Result<HttpResponse, ApiError> {
    let header = req
        .headers()
        .get("Last-Event-ID")
        .map(|v| v.to_str().unwrap_or("x"));
    let resume = last_event_id(header, query.get("lastEventId").map(String::as_str))?;
    let id = customer.id;
    let start = match resume {
        Some(at) => at,
        None => {
            let key = id.clone();
            db.query(move |c| feed::feed_head(c, &key)).await?
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(32);
    let feed = Feed {
        db: db.get_ref().clone(),
        customer: id,
        cursor: start,
        tx,
        poll: state.stream.poll,
        heartbeat: state.stream.heartbeat,
        stopping: stopping.get_ref().clone(),
    };
    tokio::spawn(feed.run(state.live.subscribe()));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, actix_web::Error>(b), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// How often a stream looks for entries written elsewhere, and how often it says it is alive.
#[derive(Debug, Clone, Copy)]
pub struct StreamTiming {
    pub poll: Duration,
    pub heartbeat: Duration,
}

struct Feed {
    db: Db,
    customer: String,
    cursor: i64,
    tx: mpsc::Sender<Bytes>,
    poll: Duration,
    heartbeat: Duration,
    /// The stream ends when the server stops (the client reconnects with `Last-Event-ID`).
    stopping: Stopping,
}

impl Feed {
    async fn run(mut self, mut live: broadcast::Receiver<String>) {
        if !self.emit(Bytes::from_static(b"retry: 3000\n\n")).await {
            return;
        }
        let mut said = Instant::now();
        loop {
            match self.catch_up().await {
                Ok(true) => said = Instant::now(),
                Ok(false) => {}
                Err(()) => return,
            }
            if said.elapsed() >= self.heartbeat {
                if !self.emit(Bytes::from_static(b": keep-alive\n\n")).await {
                    return;
                }
                said = Instant::now();
            }
            tokio::select! {
                news = live.recv() => match news {
                    Ok(who) if who != self.customer => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                    _ => {}
                },
                () = tokio::time::sleep(self.poll.min(self.heartbeat)) => {}
                () = self.tx.closed() => return,
                () = self.stopping.wait() => return,
            }
        }
    }

    /// Sends every entry after the cursor; true when there was any. `Err` when the client
    /// is gone. A database error waits for the next round.
    async fn catch_up(&mut self) -> Result<bool, ()> {
        let mut any = false;
        loop {
            let (customer, after) = (self.customer.clone(), self.cursor);
            let page = self
                .db
                .query(move |c| {
                    let rows = feed::feed_after(c, &customer, after, PAGE)?;
                    let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
                    Ok((rows, feed::deliveries_of(c, &ids)?))
                })
                .await;
            let Ok((rows, deliveries)) = page else {
                return Ok(any);
            };
            let full = rows.len() as i64 == PAGE;
            for n in &rows {
                let data = serde_json::to_string(&NotificationResponse::new(n, &deliveries))
                    .unwrap_or_default();
                let event = format!("id: {}\nevent: notification\ndata: {data}\n\n", n.id);
                if !self.emit(Bytes::from(event)).await {
                    return Err(());
                }
                self.cursor = n.id;
                any = true;
            }
            if !full {
                return Ok(any);
            }
        }
    }

    async fn emit(&self, bytes: Bytes) -> bool {
        self.tx.send(bytes).await.is_ok()
    }
}

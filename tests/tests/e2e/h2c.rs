//! The gateway's GETs as h2c streams (`gateway/src/h2c.rs`): each answer its own request's,
//! answered concurrently on one connection, a slow one not holding the others, a restarted
//! upstream reached again without errors, an upstream without h2c served over HTTP/1.1.

use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;

use crate::gateway::metric;
use crate::helpers::*;

const STREAMS: &str = "cid_gateway_upstream_h2c_streams_total{group=\"loyalty\"}";

/// An upstream as the services are (HTTP/1.1 and h2c on one port), answering with the path
/// it was asked and the HTTP version it was asked in; `/slow/` takes 3 s, `/big/` answers
/// 3 MiB (three stream windows), `/trickle/` three parts 100 ms apart (an event stream).
fn upstream(listener: std::net::TcpListener) -> actix_web::dev::ServerHandle {
    async fn answer(req: HttpRequest) -> HttpResponse {
        let path = req.path().to_owned();
        if path.contains("/slow/") {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        let mut res = HttpResponse::Ok();
        res.insert_header(("x-version", format!("{:?}", req.version())));
        if path.contains("/big/") {
            return res.body(big());
        }
        if path.contains("/trickle/") {
            let parts = futures_util::stream::unfold(0u8, |n| async move {
                if n == 3 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                Some((
                    Ok::<_, actix_web::Error>(web::Bytes::from(format!("part {n}\n"))),
                    n + 1,
                ))
            });
            return res.streaming(parts);
        }
        res.body(path)
    }
    let server = HttpServer::new(|| App::new().default_service(web::to(answer)))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen_auto_h2c(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    handle
}

fn big() -> Vec<u8> {
    (0..3 * 1024 * 1024).map(|i: u32| (i % 251) as u8).collect()
}

async fn gateway_before(url: &str) -> Stack {
    let settings = json!({"threads": 1, "h2c": true, "timeouts_ms": {"loyalty": 1000},
        "rate_limit": {"enabled": false, "per_caller_per_minute": 1, "per_ip_per_minute": 1,
            "strict_per_minute": 1, "exempt_roles": []}});
    start_gateway(gateway_settings(url, settings), None).await
}

/// `n` GETs at once, each checked for its own path and HTTP/2 upstream of it; how long
/// the slowest took. One GET first: requests that arrive while the gateway's connection
/// opens go over HTTP/1.1.
async fn gets_at_once(s: &Stack, tag: &str, n: usize) -> Duration {
    let path = format!("/api/customer-id/loyalty/{tag}/first");
    let res = s.client.get(s.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let gets = (0..n).map(|i| {
        let path = format!("/api/customer-id/loyalty/{tag}/{i}");
        let req = s.client.get(s.url(&path));
        async move {
            let started = Instant::now();
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(res.headers()["x-version"], "HTTP/2.0", "{path}");
            assert_eq!(res.text().await.unwrap(), path);
            started.elapsed()
        }
    });
    futures_util::future::join_all(gets)
        .await
        .into_iter()
        .max()
        .unwrap_or_default()
}

#[tokio::test]
async fn gets_arriving_together_are_streams_of_one_connection_each_answered_its_own() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let _upstream = upstream(listener);
    let s = gateway_before(&url).await;
    for round in 0..5 {
        gets_at_once(&s, &format!("r{round}"), 48).await;
    }
    assert!(metric(&s, STREAMS).await >= 240);
    // HEAD too; a write goes over HTTP/1.1.
    let path = "/api/customer-id/loyalty/head";
    let res = s.client.head(s.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-version"], "HTTP/2.0");
    let res = s.client.post(s.url(path)).body("x").send().await.unwrap();
    assert_eq!(res.headers()["x-version"], "HTTP/1.1");

    // Answers that do not come whole with their head: larger than a stream's window (given
    // back as the client takes it), and one that trickles as an event stream does.
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/big/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-version"], "HTTP/2.0");
    assert!(res.bytes().await.unwrap() == big());
    let started = Instant::now();
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/trickle/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-version"], "HTTP/2.0");
    assert_eq!(res.text().await.unwrap(), "part 0\npart 1\npart 2\n");
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A slow stream times out alone: the GETs beside it on the same connection are
    // answered at once.
    let slow = s
        .client
        .get(s.url("/api/customer-id/loyalty/slow/1"))
        .send();
    let (slow, fast) = tokio::join!(slow, async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        gets_at_once(&s, "beside-slow", 16).await
    });
    cid_testkit::problem(slow.unwrap(), 504, "GATEWAY_TIMEOUT").await;
    assert!(fast < Duration::from_millis(800), "{fast:?}");
    // The timed-out stream was cancelled; the connection goes on serving.
    gets_at_once(&s, "after-slow", 8).await;
}

#[tokio::test]
async fn an_upstream_restarted_on_its_port_is_reached_again_on_a_new_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("http://{addr}");
    let first = upstream(listener);
    let s = gateway_before(&url).await;
    gets_at_once(&s, "before", 16).await;
    first.stop(true).await;
    // Down: a clear error, never a hang.
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/down"))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 502 | 503),
        "{}",
        res.status()
    );
    let _second = upstream(std::net::TcpListener::bind(addr).unwrap());
    // The breaker may hold the upstream for its open time after the failure above.
    let started = Instant::now();
    loop {
        let res = s
            .client
            .get(s.url("/api/customer-id/loyalty/again"))
            .send()
            .await
            .unwrap();
        if res.status() == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{}",
            res.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    gets_at_once(&s, "after", 16).await;
}

#[tokio::test]
async fn an_upstream_that_speaks_http1_only_is_served_over_http1() {
    async fn answer(req: HttpRequest) -> HttpResponse {
        HttpResponse::Ok()
            .insert_header(("x-version", format!("{:?}", req.version())))
            .body(req.path().to_owned())
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(|| App::new().default_service(web::to(answer)))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    tokio::spawn(server);
    let s = gateway_before(&url).await;
    for i in 0..20 {
        let path = format!("/api/customer-id/loyalty/h1/{i}");
        let res = s.client.get(s.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["x-version"], "HTTP/1.1");
        assert_eq!(res.text().await.unwrap(), path);
    }
    assert_eq!(metric(&s, STREAMS).await, 0);
}

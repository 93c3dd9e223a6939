use std::time::{Duration, Instant};

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn requests_reach_loyalty_through_the_gateway_with_the_same_answers() {
    let s = stack().await;
    let gw1 = s.loyalty.as_ref().unwrap().register_customer().await;
    let svc = s.token("orders", &[Role::Service]);
    let res = s
        .client
        .post(s.url(&format!("/api/customer-id/loyalty/{gw1}/points")))
        .bearer_auth(&svc)
        .json(&json!({"points": 40, "reason": "via gateway"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let direct: Value = s
        .client
        .get(format!(
            "{}/api/customer-id/loyalty/{gw1}",
            s.loyalty.as_ref().unwrap().base
        ))
        .bearer_auth(&svc)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let via: Value = s
        .client
        .get(s.url(&format!("/api/customer-id/loyalty/{gw1}")))
        .bearer_auth(&svc)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(via["data"]["points"], 40);
    assert_eq!(via, direct);
    let public = s
        .client
        .get(s.url("/api/customer-id/loyalty/tiers/all"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 200);
}

#[tokio::test]
async fn the_trace_the_gateway_starts_arrives_at_the_service() {
    let s = stack().await;
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/tiers/all"))
        .send()
        .await
        .unwrap();
    let started = res.headers()["x-trace-id"].to_str().unwrap().to_owned();
    assert_eq!(started.len(), 32);
    // The service answers with the trace and span it served the request in.
    let seen = res.headers()["traceresponse"].to_str().unwrap().to_owned();
    assert_eq!(seen.split('-').nth(1), Some(started.as_str()));

    let client_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/tiers/all"))
        .header(
            "traceparent",
            format!("00-{client_trace}-00f067aa0ba902b7-01"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-trace-id"], client_trace);
    assert_eq!(
        res.headers()["traceresponse"]
            .to_str()
            .unwrap()
            .split('-')
            .nth(1),
        Some(client_trace)
    );
}

#[tokio::test]
async fn the_request_id_is_kept_end_to_end_and_appears_in_error_bodies() {
    let s = stack().await;
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/GW-2"))
        .header("X-Request-Id", "client-req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "client-req-42");
    let body = cid_testkit::problem(res, 401, "UNAUTHORIZED").await;
    assert_eq!(body["requestId"], "client-req-42");
}

#[tokio::test]
async fn a_stopped_service_is_503_problem_json_quickly() {
    let mut s = stack().await;
    s.loyalty.as_mut().unwrap().stop().await;
    let started = Instant::now();
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/tiers/all"))
        .header("Accept-Language", "ar")
        .send()
        .await
        .unwrap();
    let body = cid_testkit::problem(res, 503, "SERVICE_UNAVAILABLE").await;
    assert!(body["detail"].as_str().unwrap().contains("loyalty"));
    assert!(started.elapsed() < Duration::from_secs(3));
    let ready = s.client.get(s.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["data"]["upstreams"]["loyalty"], "down");
}

#[tokio::test]
async fn groups_without_a_running_service_answer_503_and_unknown_groups_404() {
    let s = stack().await;
    for group in ["referral", "support-chat", "customers"] {
        let res = s
            .client
            .get(s.url(&format!("/api/customer-id/{group}/X1/stats")))
            .send()
            .await
            .unwrap();
        cid_testkit::problem(res, 503, "SERVICE_UNAVAILABLE").await;
    }
    let res = s
        .client
        .get(s.url("/api/customer-id/nonsense/x"))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn a_slow_upstream_is_a_504_after_the_group_timeout() {
    let echo = echo_server();
    let settings = gateway_settings(&echo, json!({"timeouts_ms": {"loyalty": 300}}));
    let s = start_gateway(settings, None).await;
    let started = Instant::now();
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/x?sleep_ms=3000"))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 504, "GATEWAY_TIMEOUT").await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test]
async fn invalid_tokens_are_refused_at_the_gateway_before_any_upstream() {
    let settings = gateway_settings(&format!("http://127.0.0.1:{}", closed_port()), json!({}));
    let s = start_gateway(settings, None).await;
    for (label, tok) in cid_testkit::bad_tokens::all(&s.settings) {
        let res = s
            .client
            .get(s.url("/api/customer-id/loyalty/C1"))
            .bearer_auth(tok)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{label}");
        cid_testkit::problem(res, 401, "INVALID_TOKEN").await;
    }
}

#[tokio::test]
async fn hop_by_hop_headers_are_dropped_and_forwarding_headers_added() {
    let echo = echo_server();
    let s = start_gateway(gateway_settings(&echo, json!({"h2c": true})), None).await;
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/echo"))
        .header("Connection", "x-private-hop")
        .header("x-private-hop", "secret")
        .header("Proxy-Authorization", "Basic abc")
        .header("X-Request-Id", "rid-7")
        .send()
        .await
        .unwrap();
    assert!(
        res.headers().get("proxy-authenticate").is_none(),
        "response hop header leaked"
    );
    assert!(
        res.headers().get("keep-alive").is_none(),
        "response hop header leaked"
    );
    let body: Value = res.json().await.unwrap();
    let h = &body["headers"];
    assert!(
        h.get("x-private-hop").is_none() && h.get("proxy-authorization").is_none(),
        "{h}"
    );
    assert_eq!(h["x-forwarded-for"], "127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-request-id"], "rid-7");
    assert!(h["traceparent"].as_str().unwrap().starts_with("00-"));
    assert_eq!(body["repeated"], json!([]), "{h}");
    // A bodiless GET goes as an h2c stream (`h2c.rs`), a write over HTTP/1.1 (below).
    assert_eq!(body["version"], "HTTP/2.0");

    // Forwarding headers a client sends are the gateway's to set: its address is appended
    // to the chain, the rest replaced; the client's `Host` goes on as `X-Forwarded-Host`.
    let res = s
        .client
        .post(s.url("/api/customer-id/loyalty/echo"))
        .header("X-Forwarded-For", "10.9.8.7")
        .header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "spoofed.example")
        .header("Traceparent", "not-a-trace")
        .header("TE", "trailers")
        .header("Keep-Alive", "timeout=5")
        .header("Expect", "100-continue")
        .body("twelve bytes")
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let h = &body["headers"];
    assert_eq!(h["x-forwarded-for"], "10.9.8.7, 127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(
        h["x-forwarded-host"],
        s.url("")
            .trim_start_matches("http://")
            .trim_end_matches('/')
    );
    assert!(h["traceparent"].as_str().unwrap().starts_with("00-"), "{h}");
    for gone in ["te", "keep-alive", "expect"] {
        assert!(h.get(gone).is_none(), "{gone}: {h}");
    }
    assert_eq!(h["content-length"], "12");
    assert_eq!(body["bodyLength"], 12);
    assert_eq!(body["repeated"], json!([]), "{h}");
    assert_eq!(body["version"], "HTTP/1.1");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_whether_declared_or_streamed() {
    let echo = echo_server();
    let s = start_gateway(
        gateway_settings(&echo, json!({"body_limit_bytes": 1024})),
        None,
    )
    .await;
    let ok: Value = s
        .client
        .post(s.url("/api/customer-id/loyalty/echo"))
        .body(vec![b'a'; 1000])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ok["bodyLength"], 1000);
    let res = s
        .client
        .post(s.url("/api/customer-id/loyalty/echo"))
        .body(vec![b'a'; 4096])
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 413, "PAYLOAD_TOO_LARGE").await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..8).map(|_| Ok(vec![b'a'; 512])).collect();
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let res = s
        .client
        .post(s.url("/api/customer-id/loyalty/echo"))
        .body(stream)
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 413, "PAYLOAD_TOO_LARGE").await;
}

#[tokio::test]
async fn the_gateway_serves_health_ready_metrics_openapi_and_an_offline_docs_page() {
    let s = stack().await;
    assert_eq!(
        s.client
            .get(s.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let ready: Value = s
        .client
        .get(s.url("/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["data"]["upstreams"]["loyalty"], "up");
    assert_eq!(ready["data"]["upstreams"]["referral"], "down");
    let doc: Value = s
        .client
        .get(s.url("/api/customer-id/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/customer-id/loyalty/{customerId}"]["get"].is_object());
    assert!(
        doc["x-unavailable-groups"]
            .as_array()
            .unwrap()
            .contains(&json!("referral"))
    );
    let page = s
        .client
        .get(s.url("/api/customer-id/docs/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    let init = s
        .client
        .get(s.url("/api/customer-id/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        init.contains("/api/customer-id/openapi.json"),
        "the page loads the merged document"
    );
    let css = s
        .client
        .get(s.url("/api/customer-id/docs/swagger-ui.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        css.status(),
        200,
        "assets are served locally, not from a CDN"
    );
    let errors = s
        .client
        .get(s.url("/api/customer-id/docs/errors"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(errors.contains("INSUFFICIENT_POINTS"));
    let metrics = metrics_text(&s).await;
    assert!(metrics.contains("cid_gateway_requests_total"), "{metrics}");
}

#[tokio::test]
async fn stopping_the_gateway_drains_and_closes_its_port() {
    let mut s = stack().await;
    assert!(s.is_running());
    s.stop_gateway().await;
    assert!(s.client.get(s.url("/health")).send().await.is_err());
}

#[tokio::test]
async fn rate_limits_count_per_caller_per_ip_and_strictly_on_claims_with_headers_and_429() {
    let echo = echo_server();
    let s = start_gateway(
        gateway_settings_for(
            &[("loyalty", &echo), ("rewards", &echo)],
            json!({"rate_limit": {"enabled": true, "per_caller_per_minute": 3,
                "per_ip_per_minute": 8, "strict_per_minute": 1, "exempt_roles": ["service"]}}),
        ),
        None,
    )
    .await;
    let get = |token: String| {
        s.client
            .get(s.url("/api/customer-id/loyalty/CID-1"))
            .bearer_auth(token)
            .send()
    };
    let amal = s.token("CID-1", &[Role::Customer]);
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let res = get(amal.clone()).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["ratelimit-limit"], "3");
        remaining.push(
            res.headers()["ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(remaining, vec!["2", "1", "0"]);
    let refused = get(amal.clone()).await.unwrap();
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    let p = cid_testkit::problem(refused, 429, "RATE_LIMITED").await;
    assert!(p["requestId"].is_string());

    // Another caller has its own budget; a claim has the strict one.
    let badr = s.token("CID-2", &[Role::Customer]);
    let claim = || {
        s.client
            .post(s.url("/api/customer-id/rewards/CID-2/claim"))
            .bearer_auth(&badr)
            .json(&json!({"rewardId": "r-1"}))
            .send()
    };
    let first = claim().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["ratelimit-limit"], "1");
    cid_testkit::problem(claim().await.unwrap(), 429, "RATE_LIMITED").await;
    assert_eq!(get(badr.clone()).await.unwrap().status(), 200);

    // Service tokens are not limited; the IP budget (8) covers everyone else, tokens or not.
    let service = s.token("orders", &[Role::Service]);
    for _ in 0..10 {
        assert_eq!(get(service.clone()).await.unwrap().status(), 200);
    }
    let anonymous = || {
        s.client
            .get(s.url("/api/customer-id/loyalty/tiers/all"))
            .send()
    };
    assert_eq!(
        anonymous().await.unwrap().status(),
        200,
        "6th of 8 from this IP"
    );
    assert_eq!(
        get(s.token("CID-3", &[Role::Customer]))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(anonymous().await.unwrap().status(), 200, "8th of 8");
    cid_testkit::problem(anonymous().await.unwrap(), 429, "RATE_LIMITED").await;
}

#[tokio::test]
async fn invalid_tokens_spend_the_ip_budget_and_are_then_refused_with_429() {
    let echo = echo_server();
    let s = start_gateway(
        gateway_settings_for(
            &[("loyalty", &echo)],
            json!({"rate_limit": {"enabled": true, "per_caller_per_minute": 100,
                "per_ip_per_minute": 5, "strict_per_minute": 100}}),
        ),
        None,
    )
    .await;
    let bad = cid_testkit::bad_tokens::wrong_signature(&s.settings);
    for _ in 0..5 {
        let res = s
            .client
            .get(s.url("/api/customer-id/loyalty/CID-1"))
            .bearer_auth(&bad)
            .send()
            .await
            .unwrap();
        cid_testkit::problem(res, 401, "INVALID_TOKEN").await;
    }
    // The budget is spent: neither another bad token nor an anonymous call gets through.
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/CID-1"))
        .bearer_auth(&bad)
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    cid_testkit::problem(res, 429, "RATE_LIMITED").await;
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/tiers/all"))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 429, "RATE_LIMITED").await;
}

#[tokio::test]
async fn methods_the_gateway_never_forwards_are_405_with_allow_without_reaching_a_service() {
    let s = stack().await;
    for method in ["ZZ123", "PROPFIND", "QUERY", "TRACE"] {
        let res = s
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                s.url("/api/customer-id/loyalty/tiers/all"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()["allow"],
            "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
        );
        cid_testkit::problem(res, 405, "METHOD_NOT_ALLOWED").await;
    }
    // Nothing reached loyalty: its metrics saw no such method.
    let loyalty = s.loyalty.as_ref().unwrap();
    let text = s
        .client
        .get(loyalty.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("method=\"OTHER\"") && !text.contains("TRACE"));
    // A wrong method on a service route is the service's 405 with Allow.
    let res = s
        .client
        .delete(s.url("/api/customer-id/loyalty/tiers/all"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    cid_testkit::problem(res, 405, "METHOD_NOT_ALLOWED").await;
    let res = s.client.post(s.url("/health")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    cid_testkit::problem(res, 405, "METHOD_NOT_ALLOWED").await;
}

#[tokio::test]
async fn every_answer_is_nosniff_personal_ones_no_store_and_docs_framed_by_nobody() {
    let s = stack().await;
    let me = s.token("CID-1", &[Role::Customer]);
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/CID-1"))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let res = s.client.get(s.url("/nowhere")).send().await.unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let res = s
        .client
        .get(s.url("/api/customer-id/docs/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");
}

#[tokio::test]
async fn an_overlong_request_target_is_a_414_problem_not_a_bare_status() {
    let s = stack().await;
    let long = "a".repeat(20_000);
    let res = s
        .client
        .get(s.url(&format!("/api/customer-id/loyalty/{long}")))
        .send()
        .await
        .unwrap();
    let p = cid_testkit::problem(res, 414, "URI_TOO_LONG").await;
    assert!(p["detail"].as_str().unwrap().contains("8192"));
}

#[tokio::test]
async fn a_request_too_broken_to_parse_still_gets_a_problem_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = stack().await;
    let addr = s.gateway.trim_start_matches("http://").to_owned();
    for (request, status, code) in [
        (
            "POST /api/customer-id/loyalty/x/points HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
                .to_owned(),
            "400",
            "MALFORMED_REQUEST",
        ),
        (
            // More header lines than the parser takes: small enough to be sent whole.
            format!(
                "GET /api/customer-id/loyalty/tiers/all HTTP/1.1\r\nHost: x\r\n{}\r\n",
                (0..200).map(|i| format!("X-H{i}: v\r\n")).collect::<String>()
            ),
            "431",
            "HEADERS_TOO_LARGE",
        ),
    ] {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let _ = conn.write_all(request.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with(&format!("HTTP/1.1 {status} ")), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(answer.contains(&format!("\"code\":\"{code}\"")), "{answer}");
    }
}

#[tokio::test]
async fn browser_preflights_are_answered_by_the_gateway_and_allowed_origins_get_cors_headers() {
    let preflight = |s: &Stack, origin: &'static str| {
        s.client
            .request(
                reqwest::Method::OPTIONS,
                s.url("/api/customer-id/loyalty/CID-1"),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, idempotency-key",
            )
            .send()
    };
    // CORS off (the default outside local runs): a preflight is a 204 without allow headers,
    // not a 404 and not forwarded.
    let s = start_gateway(
        gateway_settings(&format!("http://127.0.0.1:{}", closed_port()), json!({})),
        None,
    )
    .await;
    let res = preflight(&s, "https://shop.example").await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.headers().get("access-control-allow-origin").is_none());

    let echo = echo_server();
    let settings = gateway_settings(
        &echo,
        json!({"cors": {"origins": ["https://shop.example"], "max_age_secs": 900}}),
    );
    let s = start_gateway(settings, None).await;
    let res = preflight(&s, "https://shop.example").await.unwrap();
    assert_eq!(res.status(), 204);
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], "https://shop.example");
    assert_eq!(h["access-control-max-age"], "900");
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    let res = preflight(&s, "https://evil.example").await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    // A real call from the allowed origin: the origin echoed, headers exposed, Vary has Origin.
    let res = s
        .client
        .get(s.url("/api/customer-id/loyalty/tiers/all"))
        .header("Origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], "https://shop.example");
    assert!(
        h["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("X-Request-Id")
    );
    assert!(
        h["vary"].to_str().unwrap().contains("Origin"),
        "{:?}",
        h["vary"]
    );
}

#[tokio::test]
async fn metrics_show_open_breakers_and_rate_limit_refusals() {
    let settings = gateway_settings(
        &format!("http://127.0.0.1:{}", closed_port()),
        json!({"breaker_failures": 2, "breaker_open_ms": 60000,
            "rate_limit": {"enabled": true, "per_caller_per_minute": 100, "per_ip_per_minute": 4,
                "strict_per_minute": 4, "exempt_roles": []}}),
    );
    let s = start_gateway(settings, None).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let res = s
            .client
            .get(s.url("/api/customer-id/loyalty/tiers/all"))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let metrics = metrics_text(&s).await;
    assert!(
        metrics.contains("cid_gateway_rate_limited_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("cid_gateway_upstream_breakers_open{group=\"loyalty\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("cid_gateway_upstream_breakers_open{group=\"security\"} 0"));
}

/// Open client connections per event loop, from `/metrics` (asked on a connection of its
/// own, which counts too).
async fn connections_per_loop(s: &Stack) -> Vec<u64> {
    let text = reqwest::get(s.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("cid_gateway_client_connections{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn keep_alive_connections_are_spread_over_the_event_loops_and_counted_until_closed() {
    let settings = gateway_settings(
        &format!("http://127.0.0.1:{}", closed_port()),
        json!({"threads": 2}),
    );
    let s = start_gateway(settings, None).await;
    // Twelve clients, each holding one keep-alive connection open after its answer.
    let mut clients = Vec::new();
    for _ in 0..12 {
        let client = reqwest::Client::new();
        let res = client.get(s.url("/health")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap();
        clients.push(client);
    }
    let open = connections_per_loop(&s).await;
    assert_eq!(open.len(), 2, "{open:?}");
    assert_eq!(open.iter().sum::<u64>(), 13, "{open:?}");
    assert!(open.iter().all(|&n| (5..=8).contains(&n)), "{open:?}");
    // Every one of them still answers, whichever loop it was handed to.
    for client in &clients {
        let res = client.get(s.url("/health")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    drop(clients);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let open = connections_per_loop(&s).await;
        if open.iter().sum::<u64>() <= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "still open: {open:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `/metrics` answers on `internal` with `expect` in it, is a 404 on `public`, and the
/// public port still serves `/health`.
async fn metrics_only_inside(
    internal: std::net::SocketAddr,
    public: std::net::SocketAddr,
    expect: &str,
) {
    let client = reqwest::Client::new();
    let get =
        |addr: std::net::SocketAddr, path: &str| client.get(format!("http://{addr}{path}")).send();
    let res = get(internal, "/metrics").await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains(expect));
    assert_eq!(get(public, "/metrics").await.unwrap().status(), 404);
    assert_eq!(get(public, "/health").await.unwrap().status(), 200);
}

fn two_listeners() -> (std::net::TcpListener, std::net::TcpListener) {
    let bind = || std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (bind(), bind())
}

#[tokio::test]
async fn metrics_can_move_to_an_internal_port_for_services_and_the_gateway() {
    let addr = |l: &std::net::TcpListener| l.local_addr().unwrap();
    let settings = cid_testkit::settings();
    let db = cid_testkit::TestDb::new("customers");
    let spec = cid_customers::app_spec(&settings, &db.url).unwrap();
    let (public, internal) = two_listeners();
    let (p, i) = (addr(&public), addr(&internal));
    let running = cid_kit::server::start_with_metrics(spec, public, Some(internal)).unwrap();
    metrics_only_inside(i, p, "cid_db_pool_size").await;
    running.stop().await;

    let settings = gateway_settings(&format!("http://127.0.0.1:{}", closed_port()), json!({}));
    let gateway = cid_gateway::Gateway::from_settings(&settings).unwrap();
    let (public, internal) = two_listeners();
    let (p, i) = (addr(&public), addr(&internal));
    let gw = cid_gateway::start_with_metrics(gateway, public, Some(internal)).unwrap();
    metrics_only_inside(i, p, "cid_gateway_rate_limited_total").await;
    gw.stop().await;
}

#[tokio::test]
async fn the_container_health_check_is_the_binary_asking_its_own_health() {
    let app = cid_testkit::TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let checked = tokio::task::spawn_blocking(move || cid_kit::server::healthcheck(port))
        .await
        .unwrap();
    assert_eq!(checked, Ok(()));
    let closed = closed_port();
    let checked = tokio::task::spawn_blocking(move || cid_kit::server::healthcheck(closed))
        .await
        .unwrap();
    assert!(checked.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_share_a_callers_budget_through_redis_and_count_alone_without_it() {
    let Some(mut redis) = cid_testkit::servers::LocalServer::redis().await else {
        panic!("redis-server is installed (.ci/run installs Debian's package)");
    };
    let echo = echo_server();
    let settings = || {
        gateway_settings_for(
            &[("loyalty", &echo)],
            json!({"rate_limit": {"enabled": true, "per_caller_per_minute": 60,
                "per_ip_per_minute": 100_000, "strict_per_minute": 20, "exempt_roles": [],
                "redis_url": redis.url()}}),
        )
    };
    let (a, b) = (
        start_gateway(settings(), None).await,
        start_gateway(settings(), None).await,
    );
    let token = a.token("CID-7", &[Role::Customer]);
    let get = |s: &Stack| {
        s.client
            .get(s.url("/api/customer-id/loyalty/CID-7"))
            .bearer_auth(&token)
            .send()
    };
    // 150 requests in a few hundred milliseconds, alternating: 60 a minute between both.
    let mut allowed = 0;
    for n in 0..150 {
        let res = get(if n % 2 == 0 { &a } else { &b }).await.unwrap();
        match res.status().as_u16() {
            200 => allowed += 1,
            429 => assert!(res.headers().contains_key("retry-after")),
            other => panic!("{other}"),
        }
    }
    assert!(
        (60..=62).contains(&allowed),
        "{allowed} allowed of a budget of 60 (at most what refilled meanwhile)"
    );

    // Redis gone: each gateway counts on its own (the same budget per gateway), the
    // requests are neither refused for it nor slowed much, and the metrics say so.
    redis.stop();
    let started = std::time::Instant::now();
    let statuses: Vec<u16> = futures_util::future::join_all((0..10).map(|_| get(&a)))
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(statuses, vec![200; 10]);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let metrics = a
        .client
        .get(a.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // One count per budget check: a request reaching a thread that has not verified the
    // token yet is checked twice (its IP first, then its caller), and the ten concurrent
    // requests may all reach such a thread before it has: between one and two counts each.
    let fallbacks: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("cid_gateway_rate_limit_fallbacks_total "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!((10..=20).contains(&fallbacks), "{metrics}");
}

/// An upstream written by hand, answering by path with bytes chosen to exercise each way an
/// HTTP/1.1 response can be framed; `/bye/…` closes the connection after answering without
/// saying so (an upstream's idle timeout, as the gateway sees it).
async fn raw_upstream() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        let mut chunk = [0u8; 4096];
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + length {
                        let mut chunk = [0u8; 4096];
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body =
                        String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned();
                    buf.drain(..head_end + length);
                    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                    let answer = match path.rsplit('/').next().unwrap_or_default() {
                        "length" => "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello".to_owned(),
                        "chunked" => "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
                            5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n"
                            .to_owned(),
                        "close" => {
                            "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end".to_owned()
                        }
                        "interim" => "HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n\
                            HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
                            .to_owned(),
                        "empty" => "HTTP/1.1 204 No Content\r\n\r\n".to_owned(),
                        _ => format!(
                            "HTTP/1.1 201 Created\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        ),
                    };
                    if conn.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                    if path.contains("/bye/") || path.ends_with("close") {
                        return;
                    }
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn every_framing_of_an_upstream_answer_passes_through_and_closed_connections_are_replaced() {
    let upstream = raw_upstream().await;
    // h2c on: this upstream speaks HTTP/1.1 only (checked at the end).
    let s = start_gateway(gateway_settings(&upstream, json!({"h2c": true})), None).await;
    let at = |p: &str| s.url(&format!("/api/customer-id/loyalty/{p}"));
    for _ in 0..2 {
        for (path, body) in [
            ("length", "hello"),
            ("chunked", "hello world"),
            ("close", "until the end"),
            ("interim", "ok"),
            ("empty", ""),
        ] {
            let res = s.client.get(at(path)).send().await.unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            assert_eq!(res.text().await.unwrap(), body, "{path}");
        }
    }
    // The upstream closes each connection after answering: every next request, a write too,
    // goes out on a fresh one instead of failing on the closed one.
    for n in 0..5 {
        let res = s.client.get(at("bye/length")).send().await.unwrap();
        assert_eq!(res.status(), 200, "read {n}");
        let res = s
            .client
            .post(at(&format!("bye/write-{n}")))
            .body(format!("{{\"n\":{n}}}"))
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "write {n}");
        assert_eq!(res.text().await.unwrap(), format!("{{\"n\":{n}}}"));
    }
    let res = s.client.head(at("length")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // An upstream that speaks HTTP/1.1 only: the h2c preface failed once, every GET went
    // over HTTP/1.1.
    let series = "cid_gateway_upstream_h2c_streams_total{group=\"loyalty\"}";
    assert_eq!(metric(&s, series).await, 0);
}

/// What the pipelining upstream saw: the largest number of requests one read brought it
/// (several: they were written together), and whether a `/slow/` request came with others.
#[derive(Default)]
struct Seen {
    together: std::sync::atomic::AtomicUsize,
    slow_with_others: std::sync::atomic::AtomicBool,
}

/// An upstream that answers each request with its own target, in order, as a service does
/// pipelined requests; a target with `/slow/` takes 3 s (and so do the answers after it),
/// one with `/apart/` 5 ms, written on its own, one with `/bye/` closes the connection after
/// its answer, whatever came after it.
async fn pipelining_upstream() -> (String, std::sync::Arc<Seen>) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(Seen::default());
    let seen_here = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let seen = seen_here.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 16384];
                loop {
                    match conn.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                    // Bodiless requests: each ends with its empty line.
                    let heads = buf.windows(4).filter(|w| w == b"\r\n\r\n").count();
                    seen.together.fetch_max(heads, Ordering::SeqCst);
                    let slow = buf.windows(6).any(|w| w == b"/slow/");
                    if slow && heads > 1 {
                        seen.slow_with_others.store(true, Ordering::SeqCst);
                    }
                    let mut answers = Vec::new();
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                        buf.drain(..end + 4);
                        let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
                        if target.contains("/slow/") {
                            tokio::time::sleep(Duration::from_secs(3)).await;
                        }
                        if target.contains("/apart/") {
                            // A handler that waits on something: answers come apart.
                            tokio::time::sleep(Duration::from_millis(5)).await;
                            if conn.write_all(&std::mem::take(&mut answers)).await.is_err() {
                                return;
                            }
                        }
                        answers.extend_from_slice(
                            format!(
                                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{target}",
                                target.len()
                            )
                            .as_bytes(),
                        );
                        if target.contains("/bye/") {
                            let _ = conn.write_all(&answers).await;
                            return;
                        }
                    }
                    if conn.write_all(&answers).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

/// A gateway on one event loop in front of [`pipelining_upstream`], with `extra` settings and
/// no rate limits (a round sends dozens of requests at once).
async fn pipelining_gateway(extra: Value) -> (Stack, std::sync::Arc<Seen>) {
    let (upstream, seen) = pipelining_upstream().await;
    // HTTP/1.1 pipelining is what these tests look at (h2c: `h2c.rs`).
    let mut settings = json!({"threads": 1, "h2c": false, "rate_limit": {"enabled": false,
        "per_caller_per_minute": 1, "per_ip_per_minute": 1, "strict_per_minute": 1,
        "exempt_roles": []}});
    if let (Value::Object(all), Value::Object(extra)) = (&mut settings, extra) {
        all.extend(extra);
    }
    (
        start_gateway(gateway_settings(&upstream, settings), None).await,
        seen,
    )
}

/// Rounds of 48 GETs at once until one read of the upstream held several; every answer
/// must be its own request's. The largest number of requests the upstream read at once.
async fn gets_at_once(s: &Stack, seen: &Seen, mode: &str) -> usize {
    use std::sync::atomic::Ordering;
    for round in 0..20 {
        let gets = (0..48).map(|i| {
            let path = if mode == "bye" && i % 2 == 1 {
                format!("/api/customer-id/loyalty/r/{round}-{i}")
            } else {
                format!("/api/customer-id/loyalty/{mode}/{round}-{i}")
            };
            let mut req = s.client.get(s.url(&path));
            if mode == "stream" {
                req = req.header("accept", "text/event-stream");
            }
            async move {
                let res = req.send().await.unwrap();
                assert_eq!(res.status(), 200, "{path}");
                assert_eq!(res.text().await.unwrap(), path);
            }
        });
        futures_util::future::join_all(gets).await;
        if seen.together.load(Ordering::SeqCst) > 1 {
            break;
        }
    }
    seen.together.load(Ordering::SeqCst)
}

#[tokio::test]
async fn gets_arriving_together_go_out_together_and_each_gets_its_own_answer() {
    let (s, seen) = pipelining_gateway(json!({})).await;
    let most = gets_at_once(&s, &seen, "r").await;
    assert!(
        (2..=4).contains(&most),
        "at most the default depth of 4 at once: {most}"
    );
    let batched = metric(&s, "cid_gateway_upstream_batched_total{group=\"loyalty\"}").await;
    assert!(batched >= 2, "{batched}");

    // An upstream that closes the connection after one answer of a batch: the requests
    // written after it are sent again, and answered.
    let (s, seen) = pipelining_gateway(json!({})).await;
    assert!(gets_at_once(&s, &seen, "bye").await > 1);

    // A request for an event stream (whose answer does not end) is never written with
    // others.
    let (s, seen) = pipelining_gateway(json!({})).await;
    assert_eq!(gets_at_once(&s, &seen, "stream").await, 1);

    // Turned off for the group: one request at a time on a connection.
    let (s, seen) = pipelining_gateway(json!({"pipeline_depths": {"loyalty": 1}})).await;
    assert_eq!(gets_at_once(&s, &seen, "r").await, 1);
}

#[tokio::test]
async fn an_upstream_that_answers_a_batch_apart_gets_its_requests_one_at_a_time_for_a_while() {
    use std::sync::atomic::Ordering;
    let (s, seen) = pipelining_gateway(json!({})).await;
    let series = "cid_gateway_upstream_pipeline_pauses_total{group=\"loyalty\"}";
    for _ in 0..20 {
        assert!(gets_at_once(&s, &seen, "apart").await > 1);
        if metric(&s, series).await >= 1 {
            break;
        }
    }
    assert!(metric(&s, series).await >= 1);
    // Paused (5 s): requests arriving together now go out one at a time.
    seen.together.store(0, Ordering::SeqCst);
    for _ in 0..3 {
        gets_at_once(&s, &seen, "apart").await;
    }
    assert_eq!(seen.together.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_get_written_behind_a_slow_one_is_sent_again_on_its_own_and_answered_in_time() {
    use std::sync::atomic::Ordering;
    let (s, seen) = pipelining_gateway(json!({"timeouts_ms": {"loyalty": 1000}})).await;
    // Rounds of one slow GET with fast ones at the same moment, until the slow one went out
    // with others: those fast ones wait at most the gateway's patience (100 ms), then are
    // sent again and answered — not held until the slow one's deadline.
    for round in 0..10 {
        let slow = s
            .client
            .get(s.url(&format!("/api/customer-id/loyalty/slow/{round}")))
            .send();
        let fast = (0..15).map(|i| {
            let path = format!("/api/customer-id/loyalty/r/{round}-{i}");
            let req = s.client.get(s.url(&path));
            async move {
                let started = Instant::now();
                let res = req.send().await.unwrap();
                assert_eq!(res.status(), 200, "{path}");
                assert_eq!(res.text().await.unwrap(), path);
                assert!(started.elapsed() < Duration::from_millis(800), "{path}");
            }
        });
        let (slow, _) = tokio::join!(slow, futures_util::future::join_all(fast));
        cid_testkit::problem(slow.unwrap(), 504, "GATEWAY_TIMEOUT").await;
        if seen.slow_with_others.load(Ordering::SeqCst) {
            let resent = metric(&s, "cid_gateway_upstream_resent_total{group=\"loyalty\"}").await;
            assert!(resent >= 1, "{resent}");
            return;
        }
    }
    panic!("the slow GET never went out with others");
}

/// The gateway's `/metrics` page.
async fn metrics_text(s: &Stack) -> String {
    let res = s.client.get(s.url("/metrics")).send().await.unwrap();
    res.text().await.unwrap()
}

/// A counter's value on the gateway's `/metrics` (0 when absent).
pub async fn metric(s: &Stack, series: &str) -> u64 {
    metrics_text(s)
        .await
        .lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

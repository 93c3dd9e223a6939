//! What every service does the same way, seen through the registry: text with control
//! characters is refused wherever it appears, bodies must be objects, metrics labels stay
//! bounded whatever methods clients invent, wrong methods are 405 with `Allow`, and SIGTERM
//! stops the service without dropping a request in flight.

use std::time::Duration;

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

async fn first_field(res: reqwest::Response) -> String {
    let body = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    body["errors"][0]["field"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn control_characters_in_any_text_are_a_400_naming_the_field() {
    let app = spawn_app().await;
    for (body, field) in [
        (
            json!({"userId": "u1", "userType": "buyer", "name": "Sa\u{0}ra"}),
            "name",
        ),
        (
            json!({"userId": "u1", "userType": "buyer", "email": "a\u{0}@b.co"}),
            "email",
        ),
        (
            json!({"userId": "u1", "userType": "buyer", "name": "\u{1b}[31mRed"}),
            "name",
        ),
        (json!({"userId": "u\u{0}1", "userType": "buyer"}), "userId"),
    ] {
        assert_eq!(
            first_field(create(&app, body.clone()).await).await,
            field,
            "{body}"
        );
    }
    let id = create_ok(&app, "u2", "buyer").await["customerId"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .put(url(&app, &format!("/{id}")))
        .bearer_auth(admin(&app))
        .json(&json!({"name": "x\u{0}y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first_field(res).await, "name");
    // Nothing was stored: the profile still has no name, and the export carries no NUL.
    let export = app
        .client
        .get(url(&app, "/export.csv"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!export.contains('\u{0}') && !export.contains('\u{1b}'));
    // Path and query parameters decode under the same rule.
    let res = app
        .client
        .get(url(&app, "/a%00b"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(first_field(res).await, "path");
    // Names keep their Arabic letters and line breaks are text.
    let res = create(
        &app,
        json!({"userId": "u3", "userType": "buyer", "name": "سارة"}),
    )
    .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    let app = spawn_app().await;
    for raw in ["[true]", "[\"u1\", \"buyer\"]", "42", "\"u1\""] {
        let res = app
            .client
            .post(url(&app, ""))
            .bearer_auth(app.token("signup", &[Role::Service]))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(first_field(res).await, "body", "{raw}");
    }
    // `null` is no body at all: the required fields are missing.
    let res = app
        .client
        .post(url(&app, ""))
        .bearer_auth(app.token("signup", &[Role::Service]))
        .header("content-type", "application/json")
        .body("null")
        .send()
        .await
        .unwrap();
    assert_eq!(first_field(res).await, "userId");
    // A wrong type on an enum field is that field's error, not "malformed JSON".
    let res = create(&app, json!({"userId": "u1", "userType": 5})).await;
    assert_eq!(first_field(res).await, "userType");
}

#[tokio::test]
async fn invented_methods_do_not_grow_the_metrics() {
    let app = spawn_app().await;
    for i in 0..50 {
        let method = reqwest::Method::from_bytes(format!("ZZ{i}").as_bytes()).unwrap();
        let res = app
            .client
            .request(method, url(&app, "/stats/overview"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error());
    }
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("ZZ"), "an invented method became a label");
    // Every label of every series comes from a bounded set.
    let openapi: Value = app
        .client
        .get(url(&app, "/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes: Vec<String> = openapi["paths"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    routes.extend(["unmatched", "/health", "/ready", "/metrics"].map(String::from));
    routes.push("/api/customer-id/customers/openapi.json".into());
    let methods = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "OTHER",
    ];
    let mut series = 0;
    for line in text.lines().filter(|l| l.starts_with("cid_http_")) {
        let Some(labels) = line.split_once('{').and_then(|(_, r)| r.split_once('}')) else {
            continue;
        };
        for pair in labels.0.split("\",") {
            let (name, value) = pair.split_once("=\"").unwrap();
            let value = value.trim_end_matches('"');
            match name {
                "method" => assert!(methods.contains(&value), "method label {value}"),
                "route" => assert!(routes.iter().any(|r| r == value), "route label {value}"),
                "status" => assert!(
                    value.len() == 3 && value.bytes().all(|b| b.is_ascii_digit()),
                    "status label {value}"
                ),
                "service" => assert_eq!(value, "customers"),
                "le" => {}
                other => panic!("unexpected label {other}"),
            }
        }
        series += 1;
    }
    assert!(series > 0, "no series in {text}");
    assert!(text.contains("method=\"OTHER\""));
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_naming_the_allowed_ones() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/stats/overview", "GET"),
        (
            reqwest::Method::PATCH,
            "/CID-2026-000001",
            "GET, PUT, DELETE",
        ),
        (reqwest::Method::GET, "", "POST"),
    ] {
        let res = app
            .client
            .request(method.clone(), url(&app, path))
            .bearer_auth(admin(&app))
            .send()
            .await
            .unwrap();
        let got = res
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        cid_testkit::problem(res, 405, "METHOD_NOT_ALLOWED").await;
        assert_eq!(got.as_deref(), Some(allow), "{method} {path}");
    }
    let res = app
        .client
        .get(url(&app, "/CID-1/nothing-here"))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn sigterm_stops_accepting_and_lets_the_request_in_flight_finish() {
    let mut app = spawn_app().await;
    let signal = cid_kit::server::shutdown_signal().unwrap();
    // A registration whose body is still arriving when the signal comes.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(tokio_stream(rx));
    let request = app
        .client
        .post(url(&app, ""))
        .bearer_auth(app.token("signup", &[Role::Service]))
        .header("content-type", "application/json")
        .body(body)
        .send();
    let in_flight = tokio::spawn(request);
    tx.send(Ok(br#"{"userId": "late", "#.to_vec()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(signal.await, "SIGTERM");
    let addr = app.base.trim_start_matches("http://").to_owned();
    let stopping = tokio::spawn(async move {
        app.stop().await;
        app
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "still accepting after SIGTERM"
    );

    tx.send(Ok(br#""userType": "buyer"}"#.to_vec()))
        .await
        .unwrap();
    drop(tx);
    let res = in_flight.await.unwrap().unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert!(body["data"]["customerId"].is_string());
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("stopped within the grace period")
        .unwrap();
}

/// The receiving half of a channel as a stream of body chunks.
fn tokio_stream<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

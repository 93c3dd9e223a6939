//! One trace per request, across the gateway and the services it reaches: spans exported over
//! OTLP/HTTP to a receiver in this process, then read back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Attr;
use prost::Message as _;
use serde_json::json;

use crate::helpers::*;

/// A span as exported: its IDs (hex), name and string attributes.
#[derive(Debug, Clone)]
struct Exported {
    trace_id: String,
    span_id: String,
    parent: String,
    name: String,
    attrs: HashMap<String, String>,
}

type Received = Arc<Mutex<Vec<Exported>>>;

/// An OTLP/HTTP traces receiver (protobuf, as the exporter sends) on a free port.
fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let sink = sink.clone();
        App::new().route(
            "/v1/traces",
            web::post().to(move |body: web::Bytes| {
                let sink = sink.clone();
                async move {
                    let req = ExportTraceServiceRequest::decode(body.as_ref()).unwrap();
                    let spans = req
                        .resource_spans
                        .into_iter()
                        .flat_map(|r| r.scope_spans)
                        .flat_map(|s| s.spans);
                    sink.lock().unwrap().extend(spans.map(|s| {
                        Exported {
                            trace_id: hex(&s.trace_id),
                            span_id: hex(&s.span_id),
                            parent: hex(&s.parent_span_id),
                            name: s.name,
                            attrs: s
                                .attributes
                                .into_iter()
                                .filter_map(|kv| match kv.value?.value? {
                                    Attr::StringValue(v) => Some((kv.key, v)),
                                    _ => None,
                                })
                                .collect(),
                        }
                    }));
                    HttpResponse::Ok()
                        .content_type("application/x-protobuf")
                        .body(ExportTraceServiceResponse::default().encode_to_vec())
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (url, received)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// Two threads: the exporter's flush blocks until the receiver (on this runtime) answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reward_claim_is_one_trace_through_the_gateway_rewards_loyalty_and_the_registry() {
    let (endpoint, received) = receiver();
    let settings = cid_testkit::settings();
    if !cid_kit::telemetry::init_exporting_to(&settings.log, "cid", &endpoint) {
        // Tracing is installed once per process: under `cargo test` another test of this
        // binary got there first. nextest (make test) runs each test in its own process.
        eprintln!("skipped: telemetry was installed by another test in this process");
        return;
    }

    // Every write asks the registry (config/test.toml), so the claim itself calls it.
    let BirthdayToday {
        s,
        customers: _customers,
        loyalty: _loyalty,
        rewards: _rewards,
        customer: id,
        token,
        reward,
    } = birthday_today("user-traced").await;

    let claim_path = format!("/api/customer-id/rewards/{id}/claim");
    let res = s
        .client
        .post(s.url(&claim_path))
        .bearer_auth(&token)
        .json(&json!({"rewardId": reward}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The credit goes to loyalty through the outbox, after the answer.
    let deadline = Instant::now() + Duration::from_secs(10);
    while balance(&s, &id).await.map(|b| b.0) != Some(500) {
        assert!(Instant::now() < deadline, "the credit did not land");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The gateway's span for the claim is the root; each hop is the child of the one that
    // called it, all in its trace.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (gateway, trace) = loop {
        tokio::task::spawn_blocking(cid_kit::telemetry::flush)
            .await
            .unwrap();
        let spans = received.lock().unwrap().clone();
        let gateway = spans
            .iter()
            .find(|x| x.name == "gateway" && x.attrs.get("path") == Some(&claim_path))
            .cloned();
        if let Some(gateway) = gateway {
            let trace: Vec<Exported> = spans
                .into_iter()
                .filter(|x| x.trace_id == gateway.trace_id)
                .collect();
            let loyalty_seen = trace
                .iter()
                .any(|x| x.attrs.get("service").map(String::as_str) == Some("loyalty"));
            if loyalty_seen {
                break (gateway, trace);
            }
        }
        assert!(
            Instant::now() < deadline,
            "spans never arrived: {:?}",
            received.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let spans_of = |service: &str| -> Vec<Exported> {
        trace
            .iter()
            .filter(|x| x.attrs.get("service").map(String::as_str) == Some(service))
            .cloned()
            .collect()
    };
    assert!(
        gateway.parent.is_empty(),
        "the gateway starts the trace: {gateway:?}"
    );
    let [rewards_span] = spans_of("rewards").try_into().unwrap();
    assert_eq!(
        rewards_span.parent, gateway.span_id,
        "rewards under the gateway"
    );
    assert_eq!(rewards_span.attrs.get("path"), Some(&claim_path));
    let [credit] = spans_of("loyalty").try_into().unwrap();
    assert_eq!(
        credit.parent, rewards_span.span_id,
        "the outbox's credit under the claim that wrote it"
    );
    assert!(credit.attrs["path"].ends_with("/points"), "{credit:?}");
    // Rewards and loyalty each ask the registry about the customer they write for.
    let mut registry: Vec<String> = spans_of("customers")
        .into_iter()
        .map(|x| x.parent)
        .collect();
    registry.sort();
    let mut callers = vec![rewards_span.span_id.clone(), credit.span_id.clone()];
    callers.sort();
    assert_eq!(registry, callers, "a registry lookup under each writer");
    assert_eq!(trace.len(), 5, "nothing else in the trace: {trace:#?}");
}

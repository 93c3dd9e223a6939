//! The support service on its own: settings → telemetry → serve until SIGTERM or SIGINT.

/// mimalloc: the request path allocates many small, short-lived buffers.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Requests are served on actix's worker threads; this runtime only runs the jobs, the event
/// consumers and the server's control, for which one thread is enough (and 1 MiB less resident).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    cid_kit::server::run_main(cid_support::SERVICE, cid_support::app_spec).await
}

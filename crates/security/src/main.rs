//! The security service on its own: settings → telemetry → serve until SIGTERM or SIGINT.

/// mimalloc: the request path allocates many small, short-lived buffers.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    cid_kit::server::run_main(cid_security::SERVICE, cid_security::app_spec).await
}

//! The rewards service on its own: settings → telemetry → serve until Ctrl-C.

/// mimalloc: the request path allocates many small, short-lived buffers.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    cid_kit::server::run_main(cid_rewards::SERVICE, cid_rewards::app_spec).await
}

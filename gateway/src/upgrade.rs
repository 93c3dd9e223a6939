//! WebSocket pass-through: an HTTP/1.1 `Upgrade: websocket` request is checked like any
//! other (token — in the `Authorization` header or the `access_token` query parameter
//! browsers use — and rate limits), sent to the upstream on a connection of its own, and
//! when the upstream switches protocols both connections are spliced together until either
//! side closes.

use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

use crate::pool::SendError;
use crate::proxy::UpstreamBody;
use crate::upstream::Upstream;

/// A request asking to switch to the WebSocket protocol.
pub fn is_websocket(headers: &HeaderMap) -> bool {
    let connection_upgrade = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    let websocket = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
    connection_upgrade && websocket
}

/// The `access_token` of a query string, as an `Authorization` header value would carry it.
pub fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "access_token")
        .map(|(_, v)| format!("Bearer {v}"))
}

/// Puts back the two headers hop-by-hop hygiene removed: an upgrade must name itself to the
/// next hop.
pub fn mark(headers: &mut HeaderMap) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
}

/// Sends the upgrade request on a fresh connection to `upstream`; on `101` splices the
/// client's upgraded connection (`client`) to the upstream's.
pub async fn send(
    upstream: &Upstream,
    mut req: Request<UpstreamBody>,
    client: hyper::upgrade::OnUpgrade,
) -> Result<Response<Incoming>, SendError> {
    if let Ok(host) = HeaderValue::from_str(upstream.authority.as_str()) {
        req.headers_mut().insert(header::HOST, host);
    }
    let addr = upstream.authority.as_str().to_owned();
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| SendError::Connect(format!("connect to {addr}: {e}")))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = http1::Builder::new()
        .handshake(TokioIo::new(stream))
        .await
        .map_err(SendError::Exchange)?;
    tokio::spawn(async move {
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!(error = %e, "upstream upgrade connection ended with an error");
        }
    });
    let mut res = sender
        .send_request(req)
        .await
        .map_err(SendError::Exchange)?;
    if res.status() == StatusCode::SWITCHING_PROTOCOLS {
        let upstream_side = hyper::upgrade::on(&mut res);
        tokio::spawn(async move {
            let (Ok(a), Ok(b)) = (client.await, upstream_side.await) else {
                tracing::debug!("a side of a WebSocket did not upgrade");
                return;
            };
            let (mut a, mut b) = (TokioIo::new(a), TokioIo::new(b));
            let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
        });
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_upgrades_are_recognised_and_query_tokens_read() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(is_websocket(&h));
        h.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert!(!is_websocket(&h));
        assert_eq!(
            query_token(Some("a=1&access_token=abc")).as_deref(),
            Some("Bearer abc")
        );
        assert_eq!(query_token(Some("a=1")), None);
        assert_eq!(query_token(None), None);
    }
}

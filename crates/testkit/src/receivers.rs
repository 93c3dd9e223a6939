//! Real protocol peers for tests of outgoing messages: an HTTP receiver (an SMS or push
//! provider, a webhook subscriber) that can refuse its first requests, and an SMTP server that
//! keeps what it is sent. Each runs on its own runtime thread, like the fault proxy.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("receiver runtime")
}

fn bind() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind receiver");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("receiver address").port();
    (listener, port)
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status it was answered with.
    pub status: u16,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct HttpState {
    requests: Mutex<Vec<Request>>,
    /// Requests still to refuse with 503.
    refuse: AtomicUsize,
    /// How long each answer takes, in ms (a slow receiver).
    delay_ms: AtomicUsize,
}

/// An HTTP/1.1 server on `127.0.0.1` answering every request 200, or 503 while it is told to
/// refuse.
pub struct HttpReceiver {
    pub url: String,
    state: Arc<HttpState>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl HttpReceiver {
    /// Refuses the first `refuse` requests (503), then accepts.
    pub fn start(refuse: usize) -> Self {
        let runtime = runtime();
        let (std_listener, port) = bind();
        let state = Arc::new(HttpState::default());
        state.refuse.store(refuse, Ordering::SeqCst);
        let shared = state.clone();
        runtime.spawn(async move {
            let listener = TcpListener::from_std(std_listener).expect("receiver listener");
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_http(stream, shared.clone()));
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            state,
            runtime: Some(runtime),
        }
    }

    /// Answers every request only after `delay` from now on.
    pub fn slow(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as usize, Ordering::SeqCst);
    }

    /// Refuses the next `n` requests.
    pub fn refuse(&self, n: usize) {
        self.state.refuse.store(n, Ordering::SeqCst);
    }

    /// Every request so far, refused ones included.
    pub fn requests(&self) -> Vec<Request> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The accepted requests.
    pub fn accepted(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.status == 200)
            .collect()
    }

    /// Waits (up to `within`) until `n` requests were accepted; returns them.
    pub async fn wait_accepted(&self, n: usize, within: Duration) -> Vec<Request> {
        let until = tokio::time::Instant::now() + within;
        loop {
            let got = self.accepted();
            if got.len() >= n || tokio::time::Instant::now() >= until {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

// A runtime cannot be dropped inside the test's: let it wind down in the background.
impl Drop for HttpReceiver {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn serve_http(stream: TcpStream, state: Arc<HttpState>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut lines = head.lines();
        let mut first = lines.next().unwrap_or_default().split(' ');
        let (method, path) = (
            first.next().unwrap_or_default().to_owned(),
            first.next().unwrap_or_default().to_owned(),
        );
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let delay = state.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay as u64)).await;
        }
        let refused = state
            .refuse
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let status = if refused { 503 } else { 200 };
        state
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Request {
                method,
                path,
                headers,
                body,
                status,
            });
        let answer = if refused {
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 10\r\n\r\nnot now, 1"
        } else {
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        };
        if reader.get_mut().write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// A message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The DATA section: headers and body as sent.
    pub data: String,
}

impl Mail {
    fn headers(&self) -> Vec<(String, String)> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut out: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = out.last_mut() {
                    last.1.push_str(line.trim_start());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                out.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        out
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        self.headers()
            .into_iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// The subject, decoded from RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`).
    pub fn subject(&self) -> String {
        let raw = self.header("subject").unwrap_or_default();
        let mut bytes = Vec::new();
        let mut rest = raw.as_str();
        while let Some(start) = rest.find("=?") {
            // Whitespace between two encoded words is folding, not text.
            let plain = &rest[..start];
            if !plain.trim().is_empty() {
                bytes.extend_from_slice(plain.as_bytes());
            }
            let word = &rest[start + 2..];
            let parts: Vec<&str> = word.splitn(3, '?').collect();
            let Some(end) = parts.get(2).and_then(|p| p.find("?=")) else {
                break;
            };
            let text = &parts[2][..end];
            match parts[1].to_ascii_lowercase().as_str() {
                "b" => bytes.extend(STANDARD.decode(text).unwrap_or_default()),
                _ => bytes.extend(quoted_printable(&text.replace('_', " "))),
            }
            rest = &parts[2][end + 2..];
        }
        bytes.extend_from_slice(rest.as_bytes());
        String::from_utf8_lossy(&bytes).trim().to_owned()
    }

    /// The body, decoded from its Content-Transfer-Encoding.
    pub fn body(&self) -> String {
        let body = self
            .data
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .to_owned();
        let encoding = self
            .header("content-transfer-encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => STANDARD
                .decode(body.replace(['\r', '\n'], ""))
                .unwrap_or_default(),
            "quoted-printable" => quoted_printable(&body),
            _ => body.into_bytes(),
        };
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// An SMTP server on `127.0.0.1` (no TLS, no authentication) that accepts every message.
pub struct SmtpReceiver {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl SmtpReceiver {
    pub fn start() -> Self {
        let runtime = runtime();
        let (std_listener, port) = bind();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let shared = mails.clone();
        runtime.spawn(async move {
            let listener = TcpListener::from_std(std_listener).expect("smtp listener");
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_smtp(stream, shared.clone()));
            }
        });
        Self {
            port,
            mails,
            runtime: Some(runtime),
        }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits (up to `within`) until `n` messages arrived; returns them.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Mail> {
        let until = tokio::time::Instant::now() + within;
        loop {
            let got = self.mails();
            if got.len() >= n || tokio::time::Instant::now() >= until {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn serve_smtp(stream: TcpStream, mails: Arc<Mutex<Vec<Mail>>>) {
    let mut io = BufReader::new(stream);
    if io
        .get_mut()
        .write_all(b"220 cid-test ESMTP\r\n")
        .await
        .is_err()
    {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut line = String::new();
        match io.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let upper = line.to_ascii_uppercase();
        let answer: &[u8] = if upper.starts_with("EHLO") {
            b"250-cid-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 ok\r\n"
        } else if upper.starts_with("RSET") {
            (from, to) = (String::new(), Vec::new());
            b"250 ok\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&line);
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&line));
            b"250 ok\r\n"
        } else if upper.starts_with("DATA") {
            if io.get_mut().write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            let mut data = String::new();
            loop {
                let mut l = String::new();
                match io.read_line(&mut l).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(
                    l.strip_prefix('.')
                        .filter(|_| l.starts_with(".."))
                        .unwrap_or(&l),
                );
            }
            mails.lock().unwrap_or_else(|p| p.into_inner()).push(Mail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
            });
            b"250 queued\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = io.get_mut().write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"502 not implemented\r\n"
        };
        if io.get_mut().write_all(answer).await.is_err() {
            return;
        }
    }
}

fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_owned()
}

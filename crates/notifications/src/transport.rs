//! The ways a message leaves the service: email over SMTP, SMS and push as a signed HTTP
//! POST to a provider, or the log (the local default, so nothing leaves the machine). A
//! transport answers `Ok` once the other side accepted the message; every error is retried
//! by the deliverer.

use std::time::Duration;

use chrono::Utc;
use cid_kit::settings::Secret;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::domain::Language;
use crate::domain::delivery::Channel;
use crate::domain::signature;

/// `[notifications.email]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// `log` or `smtp`.
    #[serde(default = "d_log")]
    pub transport: String,
    #[serde(default = "d_host")]
    pub host: String,
    #[serde(default = "d_port")]
    pub port: u16,
    /// `none`, `starttls` (required, usually port 587) or `tls` (implicit, usually 465).
    #[serde(default = "d_tls")]
    pub tls: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    #[serde(default = "d_from")]
    pub from: String,
    #[serde(default = "d_timeout")]
    pub timeout_ms: u64,
}

/// `[notifications.sms]` and `[notifications.push]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// `log` or `http`.
    #[serde(default = "d_log")]
    pub transport: String,
    pub url: Option<String>,
    /// Signs every request (see `domain::signature`).
    pub secret: Option<Secret>,
    #[serde(default = "d_timeout")]
    pub timeout_ms: u64,
}

fn d_log() -> String {
    "log".into()
}
fn d_host() -> String {
    "127.0.0.1".into()
}
fn d_port() -> u16 {
    25
}
fn d_tls() -> String {
    "none".into()
}
fn d_from() -> String {
    "Customer ID <no-reply@customer-id.local>".into()
}
fn d_timeout() -> u64 {
    10_000
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            transport: d_log(),
            host: d_host(),
            port: d_port(),
            tls: d_tls(),
            username: None,
            password: None,
            from: d_from(),
            timeout_ms: d_timeout(),
        }
    }
}

impl Default for ProviderSettings {
    fn default() -> Self {
        Self {
            transport: d_log(),
            url: None,
            secret: None,
            timeout_ms: d_timeout(),
        }
    }
}

/// One message as it leaves: a single delivery, or a digest of several.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Stable across retries (`dlv-<first delivery ID>`): the provider's idempotency key and
    /// the email's Message-ID, so a retried send can be recognised.
    pub key: String,
    pub channel: Channel,
    pub customer_id: String,
    /// Email address, phone number, or the customer ID for push (the provider knows the
    /// customer's devices).
    pub to: Option<String>,
    pub title: String,
    pub message: String,
    pub language: Language,
}

/// What an SMS or push provider receives, as JSON, signed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderMessage {
    pub id: String,
    pub channel: Channel,
    pub customer_id: String,
    pub to: Option<String>,
    pub title: String,
    pub message: String,
    pub language: Language,
}

pub enum Transport {
    Log,
    Smtp {
        mailer: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Http {
        client: reqwest::Client,
        url: String,
        secret: String,
    },
}

impl Transport {
    pub fn email(s: &EmailSettings) -> Result<Self, String> {
        match s.transport.as_str() {
            "log" => Ok(Self::Log),
            "smtp" => {
                let from = s
                    .from
                    .parse::<Mailbox>()
                    .map_err(|e| format!("[notifications.email] from: {e}"))?;
                let builder = match s.tls.as_str() {
                    "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
                    "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                        .map_err(|e| format!("[notifications.email] {e}"))?,
                    "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                        .map_err(|e| format!("[notifications.email] {e}"))?,
                    other => {
                        return Err(format!(
                            "[notifications.email] tls must be none, starttls or tls, not {other}"
                        ));
                    }
                };
                let mut builder = builder
                    .port(s.port)
                    .timeout(Some(Duration::from_millis(s.timeout_ms.max(1))));
                if let (Some(user), Some(password)) = (&s.username, &s.password) {
                    builder = builder
                        .credentials(Credentials::new(user.clone(), password.expose().to_owned()));
                }
                Ok(Self::Smtp {
                    mailer: builder.build(),
                    from,
                })
            }
            other => Err(format!(
                "[notifications.email] transport must be log or smtp, not {other}"
            )),
        }
    }

    pub fn provider(name: &str, s: &ProviderSettings) -> Result<Self, String> {
        match s.transport.as_str() {
            "log" => Ok(Self::Log),
            "http" => {
                let url = s
                    .url
                    .clone()
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                    .ok_or_else(|| format!("[notifications.{name}] url must be an http(s) URL"))?;
                let secret = s
                    .secret
                    .as_ref()
                    .map(|s| s.expose().to_owned())
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| format!("[notifications.{name}] secret is required"))?;
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_millis(s.timeout_ms.max(1)))
                    .build()
                    .map_err(|e| format!("[notifications.{name}] {e}"))?;
                Ok(Self::Http {
                    client,
                    url,
                    secret,
                })
            }
            other => Err(format!(
                "[notifications.{name}] transport must be log or http, not {other}"
            )),
        }
    }

    /// Sends `out`; the error is what the deliverer records (the transport's own words).
    pub async fn send(&self, out: &Outgoing) -> Result<(), String> {
        match self {
            Self::Log => {
                tracing::info!(channel = %out.channel, key = %out.key, customer_id = %out.customer_id,
                    title = %out.title, "notification sent (log transport)");
                Ok(())
            }
            Self::Smtp { mailer, from } => {
                let to = out
                    .to
                    .as_deref()
                    .ok_or("no email address")?
                    .parse::<Mailbox>()
                    .map_err(|e| format!("recipient: {e}"))?;
                let email = lettre::Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(&out.title)
                    .message_id(Some(format!("<{}@customer-id>", out.key)))
                    .header(ContentType::TEXT_PLAIN)
                    .body(out.message.clone())
                    .map_err(|e| e.to_string())?;
                mailer
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Self::Http {
                client,
                url,
                secret,
            } => {
                let body = serde_json::to_vec(&ProviderMessage {
                    id: out.key.clone(),
                    channel: out.channel,
                    customer_id: out.customer_id.clone(),
                    to: out.to.clone(),
                    title: out.title.clone(),
                    message: out.message.clone(),
                    language: out.language,
                })
                .map_err(|e| e.to_string())?;
                let res = client
                    .post(url)
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", &out.key)
                    .header(
                        signature::HEADER,
                        signature::sign(secret, Utc::now().timestamp(), &body),
                    )
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = res.status();
                if status.is_success() {
                    return Ok(());
                }
                let text = res.text().await.unwrap_or_default();
                Err(format!(
                    "HTTP {}: {}",
                    status.as_u16(),
                    text.chars().take(200).collect::<String>()
                ))
            }
        }
    }
}

/// One transport per outside channel (in-app needs none: it is stored).
pub struct Transports {
    pub email: Transport,
    pub sms: Transport,
    pub push: Transport,
}

impl Transports {
    pub fn of(&self, channel: Channel) -> &Transport {
        match channel {
            Channel::Email => &self.email,
            Channel::Sms => &self.sms,
            Channel::Push | Channel::InApp => &self.push,
        }
    }
}

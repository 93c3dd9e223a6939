//! Through the gateway: the loyalty service and the gateway in-process, real HTTP between.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod analytics;
mod bus;
mod chat;
mod commerce;
mod gateway;
mod h2c;
mod helpers;
mod notifications;
mod outbox;
mod referral;
mod replicas;
mod rewards;
mod security;
mod support;
mod traces;

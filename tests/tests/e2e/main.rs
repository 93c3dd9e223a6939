//! Through the gateway: the loyalty service and the gateway in-process, real HTTP between.

mod gateway;
mod helpers;

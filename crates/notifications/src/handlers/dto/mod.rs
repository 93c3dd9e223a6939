//! Request and response bodies of the notifications API (camelCase on the wire).

mod feed;
mod hooks;
mod preferences;

pub use feed::*;
pub use hooks::*;
pub use preferences::*;

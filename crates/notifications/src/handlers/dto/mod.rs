//! Request and response bodies of the notifications API (camelCase on the wire).

mod feed;
mod preferences;

pub use feed::*;
pub use preferences::*;

//! Request and response bodies of the loyalty API (camelCase on the wire).

mod requests;
mod responses;

pub use requests::*;
pub use responses::*;

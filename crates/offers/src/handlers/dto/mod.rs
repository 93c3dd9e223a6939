//! Request and response bodies of the offers API (camelCase on the wire).

mod requests;
mod responses;

pub use requests::*;
pub use responses::*;

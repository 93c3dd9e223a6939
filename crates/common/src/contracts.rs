//! Wire types of the calls services make to each other, shared by the service that answers
//! and the ones that call, so that renaming a field fails to compile on both sides instead
//! of failing at run time.

pub mod customers {
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// What the registry tells other services about a customer (`GET /customers/{id}`, any
    /// ID format): the part of its answer they rely on.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct RegistryCustomer {
        /// The standard form, `<PREFIX>-<YYYY>-<NNNNNN>`: the key every service stores.
        pub customer_id: String,
        pub short_id: String,
        pub numeric_id: i64,
        /// False once deactivated: no new value moves for them.
        pub active: bool,
        /// `YYYY-MM-DD`.
        pub birth_date: Option<String>,
        /// RFC 3339.
        pub join_date: String,
    }
}

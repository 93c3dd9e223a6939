//! The registry's rules, pure and unit-tested: ID formats and CSV quoting.

pub mod csv;
pub mod ids;

cid_common::text_enum! {
    /// The kind of marketplace user a customer is; stored as text.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum UserType {
        Buyer = "buyer",
        Seller = "seller",
        Traveler = "traveler",
    }
}

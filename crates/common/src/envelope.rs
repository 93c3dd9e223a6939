//! The success envelope kept from the reference implementation so existing clients work.

use serde::Serialize;

/// `{"success": true, "data": X}`; paginated lists add `page`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    pub success: bool,
    pub data: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageInfo>,
}

impl<T> Envelope<T> {
    pub fn ok(data: T) -> Self {
        Self {
            success: true,
            data,
            page: None,
        }
    }

    pub fn paged(data: T, page: PageInfo) -> Self {
        Self {
            success: true,
            data,
            page: Some(page),
        }
    }
}

/// Where a paginated list stands: the limit used and the cursor of the next page, if any.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub limit: u32,
    pub next_cursor: Option<String>,
}

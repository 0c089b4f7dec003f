//! The `{content, page}` envelope (§3.1, §3.2, §5.25).

use serde::{Deserialize, Serialize};

use super::de;

/// One page of a list endpoint. `page` is `None` on the content-only endpoints
/// (`provision-details`, `pricing`, `history`) and on any endpoint that omits it (PAX8-Q30).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page (absent or `null` is empty).
    #[serde(default = "Vec::new", deserialize_with = "de::null_default")]
    pub content: Vec<T>,
    /// The page block, when the endpoint sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<PageInfo>,
}

impl<T> Page<T> {
    /// A page built from parts (useful in tests and fakes).
    pub fn new(content: Vec<T>, page: Option<PageInfo>) -> Self {
        Self { content, page }
    }

    /// Whether another page should be fetched after this one, by the stop rules of §3.1:
    /// `content` not empty, and either `number + 1 < totalPages` or
    /// `number * size + content.len() < totalElements` (the second test catches an
    /// under-reported `totalPages`, PAX8-Q32). The returned `page.size` is trusted (PAX8-Q20).
    pub fn has_more(&self) -> bool {
        let Some(info) = &self.page else {
            return false;
        };
        if self.content.is_empty() {
            return false;
        }
        let number = u64::from(info.number.unwrap_or(0));
        if let Some(total_pages) = info.total_pages
            && number + 1 < u64::from(total_pages)
        {
            return true;
        }
        if let Some(total) = info.total_elements {
            let size = u64::from(info.size.unwrap_or(self.content.len() as u32).max(1));
            let seen = number * size + self.content.len() as u64;
            if seen < total {
                return true;
            }
        }
        false
    }
}

/// The `page` block of a paged response. Every field is lenient (`10`, `10.0`, `"10"`) because
/// the spec leaves them untyped (PAX8-Q19).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PageInfo {
    /// The page size in effect (trust it over the requested size, PAX8-Q20).
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub size: Option<u32>,
    /// Total number of items (a count).
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub total_elements: Option<u64>,
    /// Total number of pages (a count).
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub total_pages: Option<u32>,
    /// Zero-based index of this page.
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub number: Option<u32>,
}

impl PageInfo {
    /// A page block built from its four values.
    pub fn new(size: u32, total_elements: u64, total_pages: u32, number: u32) -> Self {
        Self {
            size: Some(size),
            total_elements: Some(total_elements),
            total_pages: Some(total_pages),
            number: Some(number),
        }
    }
}

//! Helpers for query structs: `Option` fields, setters, and wire encoding (§3.4).

use billing_http_core::Request;

/// Generates `pub fn field(self, v: impl Into<T>) -> Self` setters for `Option<T>` fields.
macro_rules! setters {
    ($ty:ident { $( $(#[$doc:meta])* $field:ident : $t:ty ),* $(,)? }) => {
        impl $ty {
            $(
                $(#[$doc])*
                pub fn $field(mut self, v: impl Into<$t>) -> Self {
                    self.$field = Some(v.into());
                    self
                }
            )*
        }
    };
}
pub(crate) use setters;

/// Adds `name=value` when `value` is `Some`, using `Display` (booleans become `true`/`false`,
/// PAX8-Q33).
pub(crate) fn opt<V: ToString>(req: Request, name: &str, value: Option<&V>) -> Request {
    match value {
        Some(v) => req.query(name, v.to_string()),
        None => req,
    }
}

/// Adds `page` and `size` (always both, PAX8-Q32).
pub(crate) fn paging(req: Request, page: u32, size: u32) -> Request {
    req.query("page", page.to_string())
        .query("size", size.to_string())
}

/// Adds `sort`: the raw value when one is set (sent verbatim), else the typed one.
pub(crate) fn sort<S: ToString>(req: Request, typed: Option<&S>, raw: Option<&String>) -> Request {
    match raw {
        Some(r) => req.query("sort", r.clone()),
        None => opt(req, "sort", typed),
    }
}

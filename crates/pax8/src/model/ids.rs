//! String-newtype identifiers.
//!
//! Every id implements `From<&str>`, `From<String>`, `FromStr`, `Display` and `AsRef<str>`,
//! and every call taking an id takes `impl Into<TheId>`: `client.companies().get("c-1")`
//! compiles. An id that would change a request path's shape (empty, `.`, `..`) is refused
//! before anything is sent (see [`crate::paths::seg`]).
//!
//! The spec declares ids as `format: uuid`, but its own examples contain values that are not
//! UUIDs (PAX8-Q17). Ids are therefore opaque strings: never validated, never re-cased, and
//! percent-encoded when they are put into a path.

use std::fmt;

macro_rules! string_id {
    ($( $(#[$meta:meta])* $name:ident ),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a raw id string (no validation, PAX8-Q17).
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The raw id string.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consumes the id and returns the raw string.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<&$name> for $name {
            fn from(s: &$name) -> Self {
                s.clone()
            }
        }

        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                Self(s.clone())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self(s.to_owned()))
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    )+};
}
#[cfg(feature = "webhooks")]
pub(crate) use string_id;

string_id! {
    /// Id of a company (a partner's end customer).
    CompanyId,
    /// Id of a contact of a company.
    ContactId,
    /// Id of a product in the Pax8 catalogue.
    ProductId,
    /// Id of an order.
    OrderId,
    /// Id of a line item of an order.
    LineItemId,
    /// Id of a subscription.
    SubscriptionId,
    /// Id of an invoice.
    InvoiceId,
    /// Id of an invoice item.
    InvoiceItemId,
    /// Id of a usage summary.
    UsageSummaryId,
    /// Id of a commitment term (sent as `commitmentTermId`).
    CommitmentId,
    /// Id of a Pax8 user (for example `Order.orderedByUserId`).
    UserId,
}

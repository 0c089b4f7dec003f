//! String-newtype identifiers.
//!
//! Every id implements `From<&str>`, `From<String>`, `FromStr`, `Display` and `AsRef<str>`,
//! and every call taking an id takes `impl Into<TheId>`: `client.companies().get("c-1")`
//! compiles. An id that would change a request path's shape (empty, `.`, `..`) is refused
//! before anything is sent (see [`crate::paths::seg`]). The ids are declared with the workspace's shared
//! [`billing_http_core::string_id!`].
//!
//! The spec declares ids as `format: uuid`, but its own examples contain values that are not
//! UUIDs (PAX8-Q17). Ids are therefore opaque strings: never validated, never re-cased, and
//! percent-encoded when they are put into a path.

billing_http_core::string_id! {
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

//! Typed models of the Pax8 Partner API v1 (§5, §6 of the vendor reference).
//!
//! Models follow the wire, not the spec (PAX8-Q22, PAX8-Q35, PAX8-Q36):
//!
//! - every response field is an `Option` (arrays are `Vec`s where absent or `null` is empty), and
//!   top-level resources keep unknown fields in a flattened `extra` map; `deny_unknown_fields` is
//!   never used;
//! - enums are `#[non_exhaustive]` with an `Unknown(String)` fallback that keeps the raw value;
//! - ids are string newtypes, never validated as UUIDs (PAX8-Q17);
//! - every date or time is a [`Pax8DateTime`], which never fails and keeps the raw text
//!   (PAX8-Q16);
//! - money, rates and response quantities are [`rust_decimal::Decimal`] (see below), counts are
//!   lenient integers that accept `5`, `5.0` and `"5"` (PAX8-Q19).
//!
//! # Why `Decimal` for money
//!
//! Pax8 sends money as JSON numbers with up to three decimals, sometimes as whole numbers and
//! sometimes as floats for the same field (PAX8-Q19). `f64` cannot represent `0.1` exactly, so
//! summing invoice items or usage lines in `f64` drifts by cents. `Decimal` keeps every value
//! exactly as sent (it is read from the number's JSON text, never through `f64`, so even the
//! parse is exact), sums exactly, and is what accounting code expects. It costs a few bytes per
//! field and a dependency that the workspace already has. In snapshots and when a model is
//! serialised back, a `Decimal` is written as a string (`"12.50"`); request bodies
//! ([`SubscriptionUpdate`]) write JSON numbers (exact up to 15 significant digits; more is an
//! error, never a rounding).
//!
//! Request bodies are separate types with non-optional required fields: [`NewCompany`],
//! [`CompanyUpdate`], [`ContactInput`], [`CreateOrder`], [`CreateLineItem`],
//! [`ProvisioningValue`] and [`SubscriptionUpdate`].

pub(crate) mod de;
mod decode;

mod company;
mod contact;
pub(crate) mod datetime;
mod enums;
mod ids;
mod invoice;
mod order;
mod page;
mod product;
mod subscription;
mod usage;

pub use company::{Address, Company, CompanyUpdate, NewCompany};
pub use contact::{Contact, ContactInput, ContactType};
pub use datetime::{ParsedDateTime, Pax8DateTime};
pub use decode::Model;
pub(crate) use decode::{from_value, models};
pub use enums::{
    BillingTerm, CompanySortField, CompanyStatus, ContactKind, DraftMonth, InvoiceChargeType,
    InvoiceItemTerm, InvoiceItemType, InvoiceRateType, InvoiceSortField, InvoiceStatus, OrderedBy,
    PricingType, ProductSortField, ProvisioningValueType, RateChargeType, Sort, SortDirection,
    SortField, SubscriptionSortField, SubscriptionStatus, UsageSummarySortField,
};
pub use ids::{
    CommitmentId, CompanyId, ContactId, InvoiceId, InvoiceItemId, LineItemId, OrderId, ProductId,
    SubscriptionId, UsageSummaryId, UserId,
};
pub use invoice::{Invoice, InvoiceItem};
pub use order::{CreateLineItem, CreateOrder, LineItem, Order};
pub use page::{InvalidItem, Page, PageInfo};
pub use product::{
    Commitment, Dependencies, Pricing, Product, ProductDependency, ProductDetail,
    ProvisioningDetail, ProvisioningValue, Rate,
};
pub use subscription::{CommitmentTerm, Subscription, SubscriptionUpdate};
pub use usage::{UsageLine, UsageSummary};

models!(
    Company,
    Contact,
    Product,
    ProvisioningDetail,
    Dependencies,
    Commitment,
    ProductDependency,
    Pricing,
    Rate,
    Order,
    LineItem,
    Subscription,
    CommitmentTerm,
    Invoice,
    InvoiceItem,
    UsageSummary,
    UsageLine,
);

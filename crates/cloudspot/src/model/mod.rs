//! Typed models of the Cloudspot ERP API.
//!
//! Wire keys are Dutch and case-sensitive (CS-Q01, CS-Q02). Every Rust field has an English
//! name, an explicit `#[serde(rename = "...")]` to its exact wire key (never `rename_all`),
//! and docs naming the Dutch key and its meaning; `docs/cloudspot-glossary.md` lists them all.
//! Type names and enum variants are English too ([`Article`], [`Customer`], [`Category`],
//! [`StockTracking::Physical`], ...); the docs of each give the vendor's Dutch term (`artikel`,
//! `klant`, `categorie`, `FYSIEK`) and a `doc(alias)` makes rustdoc search find the Dutch
//! name as well.
//!
//! Rules for every model:
//!
//! * every scalar is an `Option`, every list a `Vec` that is empty for a missing key or
//!   `null` (CS-Q04);
//! * unknown keys are ignored, `deny_unknown_fields` is never used (CS-Q05);
//! * decimals (prices, stock, VAT rate, discount) are `rust_decimal::Decimal`, read from a
//!   JSON number or a numeric string, never via binary floats (CS-Q03);
//! * ids are `i64` newtypes read from an integer or a numeric string (CS-Q16);
//! * enums keep unknown values as `Unknown(String)` (CS-Q22);
//! * serialising writes the exact wire keys back, so models round-trip.

mod article;
#[cfg(feature = "legacy-user-auth")]
pub(crate) mod auth;
mod category;
mod customer;
pub(crate) mod date;
mod enums;
pub(crate) mod envelope;
mod ids;

pub use article::{Article, Ean, ExtraInformation, Photo, PriceCategory};
#[cfg(feature = "legacy-user-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
pub use auth::{AuthResponse, Permission, PermissionsResponse, REDACTED, User};
pub use category::Category;
pub use customer::Customer;
pub use date::Date;
pub use enums::{ApiStatus, ArticleStatus, OrderType, Salutation, StockTracking};
pub use ids::{ArticleId, BrandId, CategoryId, CustomerNumber};

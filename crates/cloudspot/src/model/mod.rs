//! Typed models of the Cloudspot ERP API.
//!
//! Wire keys are Dutch and case-sensitive (CS-Q01, CS-Q02). Every Rust field has an English
//! name, an explicit `#[serde(rename = "...")]` to its exact wire key (never `rename_all`),
//! and docs naming the Dutch key and its meaning; `docs/cloudspot-glossary.md` lists them all.
//! Type names and enum variants keep the vendor's Dutch terms so that they can be matched
//! against the vendor's documentation and screens.
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

mod artikel;
#[cfg(feature = "legacy-user-auth")]
pub(crate) mod auth;
mod categorie;
pub(crate) mod datum;
mod enums;
pub(crate) mod envelope;
mod ids;
mod klant;

pub use artikel::{Artikel, Ean, ExtraInformatie, Foto, Prijscategorie};
#[cfg(feature = "legacy-user-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-user-auth")))]
pub use auth::{AuthResponse, Permission, PermissionsResponse, REDACTED, User};
pub use categorie::Categorie;
pub use datum::Datum;
pub use enums::{Aanspreektitel, ApiStatus, ArtikelStatus, Bestellingtype, VoorraadBijhouden};
pub use ids::{ArtikelId, CategorieId, Klantennummer, MerkId};
pub use klant::Klant;

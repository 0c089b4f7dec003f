//! Typed async client for the Cloudspot ERP API: articles (`artikels/`), clients
//! (`klanten/`), categories (`categories/`) and, behind the deprecated
//! `legacy-user-auth` feature, external-app user login.
//!
//! Models live in [`model`]; every documented vendor quirk (`CS-Q01` ...) is handled where
//! its id is mentioned.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod de;
pub mod model;

pub use model::*;

//! Typed async client for Stratocore PPMS: the classic PUMAPI and API2.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod model;
pub mod parse;

pub use model::*;

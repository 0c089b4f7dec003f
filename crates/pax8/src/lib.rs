//! Pax8 Partner API client (work in progress).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

pub mod error;
pub mod model;

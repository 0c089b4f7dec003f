//! The main Pax8 models, single and as pages, and the error-body parser, from arbitrary bytes:
//! a value or a decode error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pax8::model::{
    Company, Contact, Invoice, InvoiceItem, Order, Page, Product, Subscription, UsageLine,
    UsageSummary,
};

/// A model alone, and a page of it through both of the client's decode paths (straight from
/// the text, and the per-item repair from a JSON value).
fn decode<T: pax8::Model>(data: &[u8]) {
    let _ = serde_json::from_slice::<T>(data);
    let _ = serde_json::from_slice::<Page<T>>(data);
    let _ = Page::<T>::from_slice(data);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = Page::<T>::from_json(value);
    }
}

fuzz_target!(|data: &[u8]| {
    decode::<Company>(data);
    decode::<Contact>(data);
    decode::<Product>(data);
    decode::<Order>(data);
    decode::<Subscription>(data);
    decode::<Invoice>(data);
    decode::<InvoiceItem>(data);
    decode::<UsageSummary>(data);
    decode::<UsageLine>(data);
    let _ = serde_json::from_slice::<pax8::auth::TokenResponse>(data);
    let _ = pax8::error::parse_error_body(data);
    if let Some(page) = Page::<Company>::from_slice(data) {
        let _ = (page.len(), page.is_empty());
    }
});

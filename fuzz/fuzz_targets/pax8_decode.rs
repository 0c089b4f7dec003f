//! The main Pax8 models, single and as pages, and the error-body parser, from arbitrary bytes:
//! a value or a decode error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pax8::model::{
    Company, Contact, Invoice, InvoiceItem, Order, Page, Product, Subscription, UsageLine,
    UsageSummary,
};

fn decode<T: serde::de::DeserializeOwned>(data: &[u8]) {
    let _ = serde_json::from_slice::<T>(data);
    let _ = serde_json::from_slice::<Page<T>>(data);
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
    if let Ok(page) = serde_json::from_slice::<Page<Company>>(data) {
        let _ = page.has_more();
    }
});

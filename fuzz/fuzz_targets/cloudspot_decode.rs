//! The main Cloudspot models, in the `{"data": [...], "next": ...}` envelope of the list
//! endpoints and alone, from arbitrary bytes: a value or a decode error, never a panic.
#![no_main]

use cloudspot::{Article, Category, Customer};
use libfuzzer_sys::fuzz_target;

/// The list envelope (CS-Q06); the crate's own is private.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Envelope<T> {
    #[serde(default = "Option::default")]
    data: Option<Vec<T>>,
    #[serde(default)]
    next: Option<serde_json::Value>,
}

fn decode<T: serde::de::DeserializeOwned>(data: &[u8]) {
    let _ = serde_json::from_slice::<Envelope<T>>(data);
    let _ = serde_json::from_slice::<T>(data);
}

fuzz_target!(|data: &[u8]| {
    decode::<Article>(data);
    decode::<Customer>(data);
    decode::<Category>(data);
});

//! The cassette reader on arbitrary text: a cassette or a typed error, never a panic; a
//! cassette that reads writes back to text that reads the same.
#![no_main]

use billing_http_core::cassette::Cassette;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let origin = std::path::Path::new("fuzz.json");
    let Ok(cassette) = Cassette::from_json(text, origin) else {
        return;
    };
    for i in &cassette.interactions {
        let _ = i.response.body.to_bytes();
        let _ = i.response.body.text();
    }
    let again = Cassette::from_json(&cassette.to_json(), origin);
    assert!(again.is_ok(), "a cassette that was read must read back after writing");
});

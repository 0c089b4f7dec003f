//! The recordings embedded at build time (`build.rs`): the repository's `fixtures/<vendor>/`.

use std::path::Path;

use billing_http_core::cassette::{Cassette, CassetteError};

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// The names (`<vendor>/<scenario>.json`) of the cassettes embedded for `vendor`, sorted.
pub fn embedded_cassettes(vendor: &str) -> Vec<String> {
    FIXTURES
        .iter()
        .filter(|(v, _, _)| *v == vendor)
        .map(|(v, f, _)| format!("{v}/{f}"))
        .collect()
}

/// The embedded cassette `<vendor>/<file>`, if there is one.
pub(crate) fn find(name: &str) -> Option<Result<Cassette, CassetteError>> {
    let (vendor, file) = name.split_once('/')?;
    FIXTURES
        .iter()
        .find(|(v, f, _)| *v == vendor && *f == file)
        .map(|(v, f, text)| parse(v, f, text))
}

/// Every embedded cassette of `vendor`, in file name order.
pub(crate) fn load(vendor: &str) -> Result<Vec<Cassette>, CassetteError> {
    FIXTURES
        .iter()
        .filter(|(v, _, _)| *v == vendor)
        .map(|(v, f, text)| parse(v, f, text))
        .collect()
}

fn parse(vendor: &str, file: &str, text: &str) -> Result<Cassette, CassetteError> {
    Cassette::from_json(text, Path::new(&format!("embedded:{vendor}/{file}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_cassette_parses_and_every_vendor_has_some() {
        for vendor in ["ppms", "pax8", "cloudspot"] {
            let all = load(vendor).unwrap_or_else(|e| panic!("{vendor}: {e}"));
            assert!(!all.is_empty(), "{vendor} has no embedded cassette");
            assert_eq!(all.len(), embedded_cassettes(vendor).len());
        }
        assert!(find("cloudspot/artikels_list.json").is_some());
        assert!(find("cloudspot/none.json").is_none());
    }
}

//! Memory of the table parsers against wide bodies (issue 16, item 5): a `getsystems` body with
//! many columns the crate does not know must not take more than a few times its own size.
//!
//! This test binary counts heap bytes with `dhat` as its global allocator, so the figures are
//! exact and independent of timing. One `#[test]` runs the shapes one after the other, because
//! only one dhat profiler may run at a time.
#![allow(clippy::unwrap_used)]

use ppms::System;
use ppms::parse::{RowPolicy, parse_table};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// A `getsystems` body with the documented columns plus `unknown` columns nobody knows, `rows`
/// rows, every unknown cell one character.
fn wide_systems_body(rows: usize, unknown: usize) -> String {
    let mut body = String::from("Core facility ref,System id,Type,Name,Localisation,Active");
    for c in 0..unknown {
        body.push_str(&format!(",Custom field {c}"));
    }
    body.push_str("\r\n");
    for r in 0..rows {
        body.push_str(&format!("3,{r},T,N{r},R,True"));
        for _ in 0..unknown {
            body.push_str(",x");
        }
        body.push_str("\r\n");
    }
    body
}

/// Peak heap bytes allocated while parsing `body` (the body itself is not counted) and the rows.
fn parse_peak(body: &str) -> (usize, usize) {
    let profiler = dhat::Profiler::builder().testing().build();
    let parsed = parse_table::<System>(body, RowPolicy::Strict).unwrap();
    let peak = dhat::HeapStats::get().max_bytes;
    drop(parsed);
    drop(profiler);
    (peak, body.len())
}

#[test]
fn wide_unknown_columns_keep_parse_memory_within_three_times_the_body() {
    // (rows, unknown columns): the fault campaign's 61 MB body had 30,000 rows x 1,000 unknown
    // columns, the 64 MB one a few rows with 16 M columns; both scaled down, the ratio is what
    // counts
    for (rows, unknown) in [(100, 1000), (2, 50_000), (1000, 20)] {
        let body = wide_systems_body(rows, unknown);
        let (peak, len) = parse_peak(&body);
        // the body is the 1x: the whole call stays within 4x the body size
        assert!(
            peak <= 3 * len,
            "{rows} rows x {unknown} unknown columns: parsing {len} bytes took {peak} bytes at \
             peak ({:.1}x)",
            peak as f64 / len as f64
        );
    }
}

//! Every Rust example of docs/testing-your-app.md is part of one of this crate's tests, so the
//! page shows code that compiles and passes in CI.

const PAGE: &str = include_str!("../../../docs/testing-your-app.md");
const TESTS: [&str; 3] = [
    include_str!("ppms.rs"),
    include_str!("pax8.rs"),
    include_str!("cloudspot.rs"),
];

/// Without whitespace: line breaks and indentation may differ (rustfmt reflows the tests),
/// the code may not.
fn normalize(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```rust") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_example_of_the_page_is_a_passing_test_of_this_crate() {
    let blocks = rust_blocks(PAGE);
    assert!(blocks.len() >= 3, "one example per vendor at least");
    let tests: Vec<String> = TESTS.iter().map(|t| normalize(t)).collect();
    for block in &blocks {
        let code = normalize(block);
        assert!(
            tests.iter().any(|t| t.contains(&code)),
            "this example of docs/testing-your-app.md is not in crates/sandbox-consumer/tests:\n{block}"
        );
    }
}

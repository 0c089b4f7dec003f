//! Stands for an application that bills through the `ppms`, `pax8` and `cloudspot` crates.
//! Its tests (`tests/*.rs`) are what `docs/testing-your-app.md` shows: they start
//! `billing-sandbox` in-process as a dev-dependency and use only published APIs, so CI
//! proves the page's examples compile and pass. `tests/docs.rs` checks that every example of
//! the page is one of these tests, word for word.

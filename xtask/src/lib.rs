//! Library side of `xtask`: it exists so that the code examples of the repository README and
//! of docs/getting-started.md are compiled as doc-tests (`cargo test --workspace` runs them)
//! with xtask's dependencies, which include every vendor crate.

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../../docs/getting-started.md")]
pub struct GettingStartedDoctests;

//! Library side of `xtask`: it exists so that the repository README's code examples are compiled
//! as doc-tests (`cargo test --workspace` runs them) with xtask's dependencies, which include
//! every vendor crate.

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

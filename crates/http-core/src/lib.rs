//! Shared HTTP runtime for the billing SDK (work in progress).

//! A blocking client (feature `blocking`), for synchronous programs: a cron job, a build
//! script, a small GUI.
//!
//! [`Client`] mirrors the async [`crate::Client`]: the same builder methods, the same calls
//! grouped the same way (`client.articles().get(id)`), the same [`Error`](crate::Error)s. Each
//! call runs to completion on a small tokio runtime owned by the client (one worker thread,
//! built once, shared by clones), as `reqwest::blocking` does. You need no `#[tokio::main]`.
//!
//! ```no_run
//! # fn run() -> Result<(), cloudspot::Error> {
//! let client = cloudspot::blocking::Client::builder("my-company-token").build()?;
//! // or: cloudspot::blocking::Client::from_env()?
//! for article in client.articles().list()? {
//!     println!("{:?} {:?}", article.sku, article.stock);
//! }
//! match client.articles().get(125) {
//!     Ok(a) => println!("found {:?}", a.name),
//!     Err(e) if e.is_not_found() => println!("no article 125"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! **Not inside an async runtime.** Called from async code (or from a `spawn_blocking` closure)
//! a call returns, without sending anything, an error with `is_invalid_input()` whose message
//! says "the blocking client cannot be used inside an async runtime; use the async client" —
//! it never panics. Dropping a blocking client is safe anywhere.
//!
//! Mirrored: every call of [`crate::Client`] ([`Articles`], [`Customers`], [`Categories`],
//! `base_url`). Not mirrored: the legacy `UserClient` (feature `legacy-user-auth`); use it
//! from async code.

use url::Url;

use crate::error::Result;
use crate::model::{Article, ArticleId, Category, CategoryId, Customer};

billing_http_core::blocking_client! {
    vendor: "cloudspot",
    core_error: crate::Error::Transport,
    builder(token: impl Into<crate::SecretString>),
}

impl ClientBuilder {
    billing_http_core::blocking_builder_methods! {
        fn max_pages(pages: usize);
    }
}

billing_http_core::blocking_groups! { borrowed;
    fn articles -> Articles<'a>;
    fn customers -> Customers<'a>;
    fn categories -> Categories<'a>;
}

impl Client {
    /// The normalised base URL (ends in `/`).
    pub fn base_url(&self) -> &Url {
        self.inner.base_url()
    }
}

impl Articles<'_> {
    billing_http_core::blocking_calls! { "crate::Articles";
        fn list() -> Result<Vec<Article>>;
        fn get(id: impl Into<ArticleId>) -> Result<Article>;
    }
}

impl Customers<'_> {
    billing_http_core::blocking_calls! { "crate::Customers";
        fn list() -> Result<Vec<Customer>>;
    }
}

impl Categories<'_> {
    billing_http_core::blocking_calls! { "crate::Categories";
        fn list() -> Result<Vec<Category>>;
        fn get(id: impl Into<CategoryId>) -> Result<Category>;
    }
}

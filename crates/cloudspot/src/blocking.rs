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

use billing_http_core::blocking::Runtime;
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

impl Client {
    /// Articles (products), Dutch `artikels`: see [`crate::Client::articles`].
    pub fn articles(&self) -> Articles<'_> {
        Articles {
            inner: self.inner.articles(),
            rt: &self.rt,
        }
    }

    /// Customers, Dutch `klanten`: see [`crate::Client::customers`].
    pub fn customers(&self) -> Customers<'_> {
        Customers {
            inner: self.inner.customers(),
            rt: &self.rt,
        }
    }

    /// Product categories: see [`crate::Client::categories`].
    pub fn categories(&self) -> Categories<'_> {
        Categories {
            inner: self.inner.categories(),
            rt: &self.rt,
        }
    }

    /// The normalised base URL (ends in `/`).
    pub fn base_url(&self) -> &Url {
        self.inner.base_url()
    }
}

/// Blocking calls on articles: see [`crate::Articles`].
#[derive(Debug, Clone, Copy)]
pub struct Articles<'a> {
    inner: crate::Articles<'a>,
    rt: &'a Runtime,
}

impl Articles<'_> {
    billing_http_core::blocking_calls! { "crate::Articles";
        fn list() -> Result<Vec<Article>>;
        fn get(id: impl Into<ArticleId>) -> Result<Article>;
    }
}

/// Blocking calls on customers: see [`crate::Customers`].
#[derive(Debug, Clone, Copy)]
pub struct Customers<'a> {
    inner: crate::Customers<'a>,
    rt: &'a Runtime,
}

impl Customers<'_> {
    billing_http_core::blocking_calls! { "crate::Customers";
        fn list() -> Result<Vec<Customer>>;
    }
}

/// Blocking calls on product categories: see [`crate::Categories`].
#[derive(Debug, Clone, Copy)]
pub struct Categories<'a> {
    inner: crate::Categories<'a>,
    rt: &'a Runtime,
}

impl Categories<'_> {
    billing_http_core::blocking_calls! { "crate::Categories";
        fn list() -> Result<Vec<Category>>;
        fn get(id: impl Into<CategoryId>) -> Result<Category>;
    }
}

//! The shared machinery of the vendor crates' blocking clients (feature `blocking`).
//!
//! `ppms::blocking::Client`, `pax8::blocking::Client` and `cloudspot::blocking::Client` wrap
//! their crate's async client and run each call to completion on a [`Runtime`] owned by the
//! client — the convention of `reqwest::blocking`. This module holds what the three share, so
//! they cannot drift:
//!
//! - [`Runtime`]: a small tokio runtime (one worker thread, time and I/O drivers) built once per
//!   client and shared by its clones through an `Arc`. The worker keeps connection tasks, token
//!   refreshes and prefetches running between calls. It is shut down in the background when the
//!   last clone is dropped, so dropping a blocking client never panics, not even inside an async
//!   runtime.
//! - [`Runtime::run`]: runs one call. Called from inside an async runtime (where tokio's
//!   `block_on` would panic), it returns the vendor's error built from [`InsideRuntime`]: a
//!   configuration error ([`Error::is_invalid_input`]) saying "the blocking client cannot be
//!   used inside an async runtime; use the async client". Nothing is sent.
//! - [`Iter`]: a stream of results (a Pax8 `Paginator`, say) as an [`Iterator`] that fetches
//!   lazily, page by page, as it is advanced.
//! - [`blocking_client!`](crate::blocking_client),
//!   [`blocking_groups!`](crate::blocking_groups),
//!   [`blocking_builder_methods!`](crate::blocking_builder_methods) and
//!   [`blocking_calls!`](crate::blocking_calls): the blocking client and builder types and the
//!   forwarding methods of the builders and call groups, generated from one list each.
//!
//! Why a check with [`tokio::runtime::Handle::try_current`] and not a dedicated thread (as
//! `reqwest::blocking` does): a call borrows its arguments and its call group (`&NewOrder`,
//! `ppms::Users<'_>`), so its future is not `'static` and cannot be sent to another thread
//! without copying every argument. The check also refuses calls from a
//! `tokio::task::spawn_blocking` closure (the thread has a runtime handle): there, use the
//! async client with `tokio::runtime::Handle::current().block_on(..)`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};

use crate::Error;

/// The message of the error returned when a blocking client is called inside an async runtime.
pub const INSIDE_RUNTIME_MESSAGE: &str =
    "the blocking client cannot be used inside an async runtime; use the async client";

/// A blocking call was made inside an async runtime, where it would block (or panic) the
/// runtime's thread. Nothing was sent.
///
/// Each vendor crate converts it into its own `Error` (a configuration error:
/// `is_invalid_input()` is true); `billing_http_core::Error::from(InsideRuntime)` is
/// [`Error::config`] with [`INSIDE_RUNTIME_MESSAGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct InsideRuntime;

impl fmt::Display for InsideRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(INSIDE_RUNTIME_MESSAGE)
    }
}

impl std::error::Error for InsideRuntime {}

impl From<InsideRuntime> for Error {
    fn from(_: InsideRuntime) -> Self {
        Error::config(INSIDE_RUNTIME_MESSAGE)
    }
}

/// The runtime of a blocking client: built once per client, shared by its clones.
///
/// Cheap to clone (an `Arc`). The last clone dropped shuts the runtime down in the background
/// (`tokio::runtime::Runtime::shutdown_background`): tasks still running are cancelled, and
/// dropping never blocks or panics, whatever the calling context.
#[derive(Clone)]
pub struct Runtime {
    holder: Arc<Holder>,
}

/// Owns the tokio runtime; its `Drop` is the one place the runtime is shut down.
struct Holder {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Holder {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // `drop(runtime)` inside an async context panics; this never does
            runtime.shutdown_background();
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("clones", &Arc::strong_count(&self.holder))
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Starts a runtime: one worker thread (`billing-blocking`), time and I/O drivers.
    ///
    /// Works inside an async runtime too (building a blocking client there is allowed; calling
    /// it is not). Fails only if the OS refuses a thread or the I/O driver.
    pub fn new() -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("billing-blocking")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::config(format!("cannot start the blocking client's runtime: {e}"))
                    .with_source(e)
            })?;
        Ok(Self {
            holder: Arc::new(Holder {
                runtime: Some(runtime),
            }),
        })
    }

    /// `Err(InsideRuntime)` when the current thread is inside an async runtime (it has a tokio
    /// runtime handle), where blocking on a future would panic or stall the runtime.
    pub fn check_context() -> Result<(), InsideRuntime> {
        match tokio::runtime::Handle::try_current() {
            Ok(_) => Err(InsideRuntime),
            Err(_) => Ok(()),
        }
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        // `runtime` is `None` only inside `Holder::drop`, when no `Runtime` refers to it
        match &self.holder.runtime {
            Some(runtime) => runtime,
            None => unreachable!("the runtime is taken only when the last clone is dropped"),
        }
    }

    /// Runs `future` to completion on this runtime, unless the current thread is inside an
    /// async runtime ([`Runtime::check_context`]): then `future` is dropped unpolled.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, InsideRuntime> {
        Self::check_context()?;
        Ok(self.runtime().block_on(future))
    }

    /// Runs a call to completion: its result, or `E::from(InsideRuntime)` when the current
    /// thread is inside an async runtime (nothing is sent then).
    pub fn run<T, E: From<InsideRuntime>>(
        &self,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        self.block_on(call)?
    }

    /// Enters the runtime's context without blocking, for code that must find a runtime
    /// (spawning, timers) while building a client or a stream.
    pub fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.runtime().enter()
    }

    /// The stream as an [`Iterator`] driven by this runtime, one item at a time (an
    /// `Iterator` when the stream's items are `Result<T, E>` with `E: From<InsideRuntime>`).
    pub fn iter<S>(&self, stream: S) -> Iter<S> {
        Iter {
            runtime: self.clone(),
            stream: Some(Box::pin(stream)),
        }
    }
}

/// A stream of results as a blocking [`Iterator`]: each `next()` drives the stream on the
/// client's [`Runtime`] until its next item, so pages are fetched lazily as the iteration
/// advances (and the stream's own prefetching, if any, keeps working in the background).
///
/// Called inside an async runtime, `next()` yields one error (`E::from(InsideRuntime)`) and
/// the iterator ends. It also ends after the stream ends.
pub struct Iter<S> {
    runtime: Runtime,
    stream: Option<Pin<Box<S>>>,
}

impl<S> fmt::Debug for Iter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("done", &self.stream.is_none())
            .finish_non_exhaustive()
    }
}

impl<S> Iter<S> {
    /// The stream underneath (`None` once the iteration has ended), e.g. to read a
    /// paginator's progress.
    pub fn stream(&self) -> Option<&S> {
        self.stream.as_deref()
    }
}

impl<S, T, E> Iterator for Iter<S>
where
    S: Stream<Item = Result<T, E>>,
    E: From<InsideRuntime>,
{
    type Item = Result<T, E>;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.stream.as_mut()?;
        match self.runtime.block_on(stream.next()) {
            Ok(Some(item)) => Some(item),
            Ok(None) => {
                self.stream = None;
                None
            }
            Err(inside) => {
                self.stream = None;
                Some(Err(inside.into()))
            }
        }
    }
}

/// Generates a vendor crate's `blocking::Client` and `blocking::ClientBuilder` (in the module
/// where it is invoked) around the crate's async `crate::Client` and `crate::ClientBuilder`,
/// and the conversion of [`InsideRuntime`] into `crate::Error`:
///
/// ```text
/// blocking_client! {
///     vendor: "ppms",
///     core_error: crate::Error::Http,   // billing_http_core::Error -> crate::Error
///     builder(base_url: impl Into<String>),
/// }
/// ```
///
/// The client has `builder(..)` (the async `Client::builder`'s arguments), `from_env()`,
/// `builder_from_env()`, `from_async(client)` and `as_async()`; the builder has the shared
/// vocabulary of [`blocking_builder_methods!`](crate::blocking_builder_methods) and `build()`.
/// The vendor module adds the vendor's own builder settings and the call groups.
// `crate::` is meant: the vendor crate that invokes the macro (its `Client`, `Error`, groups)
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! blocking_client {
    (
        vendor: $vendor:literal,
        core_error: $core_error:path,
        builder($($arg:ident : $ty:ty),* $(,)?) $(,)?
    ) => {
        #[doc = concat!(
            "A blocking ", $vendor, " client: the async [`Client`](crate::Client)'s calls, ",
            "grouped the same way, each run to completion on a runtime owned by the client ",
            "(built once, shared by clones). Calls return the same [`Error`](crate::Error)s; ",
            "called inside an async runtime they return a configuration error instead of ",
            "blocking it. See the [module docs](self)."
        )]
        #[derive(Clone)]
        pub struct Client {
            inner: crate::Client,
            rt: $crate::blocking::Runtime,
        }

        impl ::std::fmt::Debug for Client {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("blocking::Client")
                    .field("inner", &self.inner)
                    .finish_non_exhaustive()
            }
        }

        impl Client {
            /// Starts a builder: the same arguments and settings as the async
            /// [`Client::builder`](crate::Client::builder).
            pub fn builder($($arg: $ty),*) -> ClientBuilder {
                ClientBuilder { inner: crate::Client::builder($($arg),*) }
            }

            /// A client from the environment, as the async
            /// [`Client::from_env`](crate::Client::from_env).
            pub fn from_env() -> ::std::result::Result<Client, crate::Error> {
                Self::builder_from_env()?.build()
            }

            /// The builder [`Client::from_env`] uses, for further settings.
            pub fn builder_from_env() -> ::std::result::Result<ClientBuilder, crate::Error> {
                Ok(ClientBuilder { inner: crate::Client::builder_from_env()? })
            }

            /// Wraps an async client (its settings, limiter and token cache are shared with
            /// it) and starts a runtime for it. Prefer a client that has not run calls on
            /// another runtime: connections pooled there belong to that runtime.
            pub fn from_async(client: crate::Client) -> ::std::result::Result<Client, crate::Error> {
                let rt = $crate::blocking::Runtime::new()
                    .map_err(|e| $core_error(e.with_vendor($vendor)))?;
                Ok(Client { inner: client, rt })
            }

            /// The async client underneath: for what this module does not mirror, e.g. a
            /// stream with other settings, to run with [`Client::iter`].
            pub fn as_async(&self) -> &crate::Client {
                &self.inner
            }

            /// Runs a stream of `Result`s made by the async client as an iterator on this
            /// client's runtime, fetching lazily as it advances; e.g. a Pax8 paginator with
            /// pages fetched ahead:
            /// `client.iter(client.as_async().orders().list_all(query).prefetch(4))`.
            pub fn iter<S>(&self, stream: S) -> $crate::blocking::Iter<S> {
                self.rt.iter(stream)
            }
        }

        #[doc = concat!(
            "Builds a blocking ", $vendor, " [`Client`]: the async ",
            "[`ClientBuilder`](crate::ClientBuilder)'s methods, with the same meaning."
        )]
        pub struct ClientBuilder {
            inner: crate::ClientBuilder,
        }

        impl ::std::fmt::Debug for ClientBuilder {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&self.inner, f)
            }
        }

        impl ClientBuilder {
            $crate::blocking_builder_methods!();

            /// Builds the async client (the same validation, the same errors) and the
            /// runtime the blocking calls run on.
            pub fn build(self) -> ::std::result::Result<Client, crate::Error> {
                let rt = $crate::blocking::Runtime::new()
                    .map_err(|e| $core_error(e.with_vendor($vendor)))?;
                let inner = {
                    let _enter = rt.enter();
                    self.inner.build()?
                };
                Ok(Client { inner, rt })
            }
        }

        impl ::std::convert::From<$crate::blocking::InsideRuntime> for crate::Error {
            fn from(inside: $crate::blocking::InsideRuntime) -> Self {
                $core_error($crate::Error::from(inside).with_vendor($vendor))
            }
        }
    };
}

/// Generates the call groups of a vendor crate's blocking `Client` (in the module where it is
/// invoked, next to [`blocking_client!`](crate::blocking_client)): for each
/// `fn method -> Group;`, a method `Client::method()` and a type `Group` holding the async
/// group `crate::Group` (field `inner`) and the client's runtime (field `rt`), for
/// [`blocking_calls!`](crate::blocking_calls) to forward to.
///
/// `borrowed;` groups borrow the client, as async groups with a lifetime do
/// (`ppms::Users<'a>`): `fn users -> Users<'a>;`. `owned;` groups hold a clone (`pax8`).
// `crate::` is meant: the vendor crate that invokes the macro (its `Client`, `Error`, groups)
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! blocking_groups {
    (borrowed; $( $(#[$meta:meta])* fn $method:ident -> $group:ident<$lt:lifetime>; )+) => {
        impl Client {
            $(
                #[doc = concat!(
                    "Blocking calls: see [`crate::Client::", stringify!($method), "`]."
                )]
                $(#[$meta])*
                pub fn $method(&self) -> $group<'_> {
                    $group { inner: self.inner.$method(), rt: &self.rt }
                }
            )+
        }
        $(
            #[doc = concat!("Blocking calls: see [`crate::", stringify!($group), "`].")]
            $(#[$meta])*
            #[derive(Debug, Clone, Copy)]
            pub struct $group<$lt> {
                inner: crate::$group<$lt>,
                rt: &$lt $crate::blocking::Runtime,
            }
        )+
    };
    (owned; $( $(#[$meta:meta])* fn $method:ident -> $group:ident; )+) => {
        impl Client {
            $(
                #[doc = concat!(
                    "Blocking calls: see [`crate::Client::", stringify!($method), "`]."
                )]
                $(#[$meta])*
                pub fn $method(&self) -> $group {
                    $group { inner: self.inner.$method(), rt: self.rt.clone() }
                }
            )+
        }
        $(
            #[doc = concat!("Blocking calls: see [`crate::", stringify!($group), "`].")]
            $(#[$meta])*
            #[derive(Debug, Clone)]
            pub struct $group {
                inner: crate::$group,
                rt: $crate::blocking::Runtime,
            }
        )+
    };
}

/// Generates the methods of a blocking client builder that forward to the async builder it
/// wraps, in a field `inner`: without arguments, the vocabulary of
/// [`client_builder_methods!`](crate::client_builder_methods) (`base_url`, `timeout`,
/// `connect_timeout`, `retry`, `rate_limit`, `rate_limiter`, `no_rate_limit`, `user_agent`,
/// `tls`, `transport`, `clock`); with a list of `fn name(arg: Type, ..);`, those methods (the
/// vendor's own settings). Each method's docs point to the async builder's
/// (`crate::ClientBuilder::name`).
#[macro_export]
macro_rules! blocking_builder_methods {
    () => {
        $crate::blocking_builder_methods! {
            fn base_url(url: impl ::std::convert::Into<::std::string::String>);
            fn timeout(timeout: ::std::time::Duration);
            fn connect_timeout(timeout: ::std::time::Duration);
            fn retry(policy: $crate::retry::RetryPolicy);
            fn rate_limit(quota: $crate::rate_limit::Quota);
            fn rate_limiter(limiter: ::std::sync::Arc<dyn $crate::rate_limit::RateLimiter>);
            fn no_rate_limit();
            fn user_agent(user_agent: impl ::std::convert::Into<::std::string::String>);
            fn tls(tls: $crate::TlsConfig);
            fn transport(transport: ::std::sync::Arc<dyn $crate::transport::Transport>);
            fn clock(clock: ::std::sync::Arc<dyn $crate::clock::Clock>);
        }
    };
    ($( fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ); )+) => {
        $(
            #[doc = concat!(
                "As the async builder's [`", stringify!($name), "`](crate::ClientBuilder::",
                stringify!($name), ")."
            )]
            pub fn $name(self, $($arg: $ty),*) -> Self {
                Self { inner: self.inner.$name($($arg),*) }
            }
        )+
    };
}

/// Generates blocking calls that forward to an async call group, for a type with fields
/// `inner` (the async group) and `rt` (a [`Runtime`] or a reference to one).
///
/// ```text
/// blocking_calls! { "crate::companies::Companies";
///     fn get(id: impl Into<CompanyId>) -> Result<Company, Error>;
///     iter fn list_all(query: ListCompanies) -> Paginator<Company>;
/// }
/// ```
///
/// The first string is the path of the async group, for the docs' links. A plain `fn` runs the
/// call with [`Runtime::run`] and returns its `Result`; an `iter fn` returns the call's stream
/// as an [`Iter`].
#[macro_export]
macro_rules! blocking_calls {
    ($group:literal; $($rest:tt)*) => {
        $crate::blocking_calls!(@each $group; $($rest)*);
    };
    (@each $group:literal;) => {};
    (@each $group:literal;
        fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) -> $ret:ty; $($rest:tt)*
    ) => {
        #[doc = concat!(
            "Blocking [`", stringify!($name), "`](", $group, "::", stringify!($name),
            "): the same call, run to completion on the client's runtime."
        )]
        pub fn $name(&self, $($arg: $ty),*) -> $ret {
            self.rt.run(self.inner.$name($($arg),*))
        }
        $crate::blocking_calls!(@each $group; $($rest)*);
    };
    (@each $group:literal;
        iter fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) -> $stream:ty; $($rest:tt)*
    ) => {
        #[doc = concat!(
            "Blocking [`", stringify!($name), "`](", $group, "::", stringify!($name),
            "): the same items as an iterator that fetches lazily, page by page."
        )]
        pub fn $name(&self, $($arg: $ty),*) -> $crate::blocking::Iter<$stream> {
            let _enter = self.rt.enter();
            self.rt.iter(self.inner.$name($($arg),*))
        }
        $crate::blocking_calls!(@each $group; $($rest)*);
    };
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_runtime_a_call_runs() {
        let rt = Runtime::new().unwrap_or_else(|e| panic!("{e}"));
        let out: Result<u32, Error> = rt.run(async { Ok(7) });
        assert_eq!(out.ok(), Some(7));
        let items: Vec<Result<u32, Error>> = rt
            .iter(futures::stream::iter([Ok(1), Ok(2)]))
            .collect::<Vec<_>>();
        assert_eq!(items.len(), 2);
    }

    #[tokio::test]
    async fn inside_a_runtime_a_call_is_an_error_and_drop_is_safe() {
        let rt = Runtime::new().unwrap_or_else(|e| panic!("{e}"));
        let err = rt.run(async { Ok::<u32, Error>(7) }).unwrap_err();
        assert!(err.is_invalid_input());
        assert_eq!(err.message(), INSIDE_RUNTIME_MESSAGE);
        let mut iter = rt.iter(futures::stream::iter([Ok::<u32, Error>(1), Ok(2)]));
        assert!(matches!(iter.next(), Some(Err(e)) if e.is_invalid_input()));
        assert!(iter.next().is_none(), "the iterator ends after the error");
        drop(iter);
        drop(rt);
    }
}

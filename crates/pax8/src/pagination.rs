//! Lazy pagination over the `{content, page}` envelope (§3.1, PAX8-Q05, PAX8-Q20, PAX8-Q32).
//!
//! A [`Paginator`] fetches one page per [`Paginator::next_page`] call, always sending `page` and
//! `size` explicitly (default 200, the documented maximum). It stops when:
//!
//! - a page is empty, or has no `page` block (content-only responses);
//! - neither `number + 1 < totalPages` nor `number * size + content.len() < totalElements`
//!   holds, using the **returned** `page.size` (PAX8-Q20, PAX8-Q32);
//! - the server returned another page number than requested (it ignored `page`; a warning is
//!   logged, PAX8-Q05);
//! - a page after the first answers 404 (not an error, PAX8-Q32).
//!
//! [`Paginator::items`] and [`Paginator::prefetch`] turn it into a `Stream` of items; the
//! prefetching stream keeps at most `depth` further pages in flight, so memory stays bounded by
//! `depth + 1` pages whatever the total. Pagination is by offset: items created or deleted
//! during a long walk can shift between pages; [`Paginator::dedup_by`] drops repeats by a key.

use std::collections::HashSet;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use billing_http_core::{Method, Request};
use futures::stream::{self, BoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;

use crate::client::{Api, Client, Write, clamp_page_size, decode};
use crate::error::Error;
use crate::model::{Page, PageInfo};

type Builder = Arc<dyn Fn(u32, u32) -> Result<Request, Error> + Send + Sync>;

/// A lazy walk over the pages of one list call. See the [module docs](self).
pub struct Paginator<T> {
    client: Client,
    api: Api,
    build: Builder,
    next: Option<u32>,
    size: u32,
    first: u32,
    last: Option<PageInfo>,
    pages_fetched: u32,
    _t: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Paginator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paginator")
            .field("next", &self.next)
            .field("size", &self.size)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

/// Whether the server answered the page that was asked for. A page with another `number`
/// means the server ignored `page`: its items would repeat earlier ones, so the walk stops
/// without them (with a warning).
fn answered_requested(requested: u32, page: &Page<impl Sized>) -> bool {
    match page.page.and_then(|i| i.number) {
        Some(n) if n != requested => {
            tracing::warn!(
                requested,
                returned = n,
                "pax8: server ignored the page parameter; stopping to avoid repeats"
            );
            false
        }
        _ => true,
    }
}

/// Stop rule of §3.1 for a page fetched as `requested`.
fn next_index(requested: u32, page: &Page<impl Sized>) -> Option<u32> {
    page.has_more().then_some(requested + 1)
}

impl<T: DeserializeOwned + Send + 'static> Paginator<T> {
    pub(crate) fn new(
        client: Client,
        start_page: Option<u32>,
        size: Option<u32>,
        build: impl Fn(u32, u32) -> Result<Request, Error> + Send + Sync + 'static,
    ) -> Self {
        Self::new_on(Api::V1, client, start_page, size, build)
    }

    pub(crate) fn new_on(
        api: Api,
        client: Client,
        start_page: Option<u32>,
        size: Option<u32>,
        build: impl Fn(u32, u32) -> Result<Request, Error> + Send + Sync + 'static,
    ) -> Self {
        let size = clamp_page_size(size.unwrap_or_else(|| client.page_size()));
        let first = start_page.unwrap_or(0);
        Self {
            client,
            api,
            build: Arc::new(build),
            next: Some(first),
            size,
            first,
            last: None,
            pages_fetched: 0,
            _t: PhantomData,
        }
    }

    /// The page block of the last page fetched (progress: `number`, `totalPages`,
    /// `totalElements`).
    pub fn last_page_info(&self) -> Option<PageInfo> {
        self.last
    }

    /// How many pages have been fetched.
    pub fn pages_fetched(&self) -> u32 {
        self.pages_fetched
    }

    /// The page size sent.
    pub fn page_size(&self) -> u32 {
        self.size
    }

    /// The request for page `index` (for request-shape tests).
    pub fn request_for(&self, index: u32) -> Result<Request, Error> {
        (self.build)(index, self.size)
    }

    /// Fetches the next page; `Ok(None)` once the walk is over.
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>, Error> {
        let Some(index) = self.next else {
            return Ok(None);
        };
        match fetch_page::<T>(
            &self.client,
            self.api,
            &self.build,
            index,
            self.size,
            index == self.first,
        )
        .await?
        {
            None => {
                self.next = None;
                Ok(None)
            }
            Some(page) if !answered_requested(index, &page) => {
                self.next = None;
                Ok(None)
            }
            Some(page) => {
                self.pages_fetched += 1;
                self.last = page.page;
                self.next = next_index(index, &page);
                Ok(Some(page))
            }
        }
    }

    /// Fetches every remaining item into one `Vec` (memory grows with the total; prefer the
    /// streams for large lists).
    pub async fn collect_all(mut self) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        while let Some(page) = self.next_page().await? {
            out.extend(page.content);
        }
        Ok(out)
    }

    /// A stream of items, fetching pages one after another.
    pub fn items(self) -> BoxStream<'static, Result<T, Error>> {
        self.prefetch(0)
    }

    /// A stream of items that keeps up to `depth` following pages in flight while the current
    /// one is consumed. The first page is fetched alone (it gives the totals); then pages are
    /// requested in order with at most `depth` outstanding, and the walk stops by the rules of
    /// the [module docs](self). `depth = 0` is a sequential walk.
    pub fn prefetch(mut self, depth: usize) -> BoxStream<'static, Result<T, Error>> {
        let s = stream::once(async move {
            let first = match self.next_page().await {
                Ok(Some(p)) => p,
                Ok(None) => return stream::empty().boxed(),
                Err(e) => return stream::iter([Err(e)]).boxed(),
            };
            let head = stream::iter(first.content.into_iter().map(Ok));
            let Some(start) = self.next else {
                return head.boxed();
            };
            if depth == 0 {
                let rest = stream::unfold(self, |mut p| async move {
                    match p.next_page().await {
                        Ok(Some(page)) => {
                            Some((stream::iter(page.content.into_iter().map(Ok)).boxed(), p))
                        }
                        Ok(None) => None,
                        Err(e) => {
                            p.next = None;
                            Some((stream::iter([Err(e)]).boxed(), p))
                        }
                    }
                })
                .flatten();
                return head.chain(rest).boxed();
            }
            // Upper bound of pages from the totals of the first page.
            let info = self.last.unwrap_or_default();
            let size = u64::from(info.size.unwrap_or(self.size).max(1));
            let by_pages = info.total_pages.map(u64::from);
            let by_elements = info.total_elements.map(|t| t.div_ceil(size));
            let end = by_pages.max(by_elements).unwrap_or(u64::from(start) + 1);
            let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
            let client = self.client.clone();
            let api = self.api;
            let build = self.build.clone();
            let page_size = self.size;
            // Each page is fetched and decoded in its own task, so transfers and decoding go on
            // while the consumer works through the current page; dropping the stream aborts
            // the tasks still running.
            let fetches = stream::iter(start..end)
                .map(move |index| {
                    let client = client.clone();
                    let build = build.clone();
                    let task = AbortOnDrop(tokio::spawn(async move {
                        fetch_page::<T>(&client, api, &build, index, page_size, false).await
                    }));
                    async move {
                        let result = match task.await {
                            Ok(r) => r,
                            Err(e) => Err(Error::Config(format!("page task failed: {e}"))),
                        };
                        (index, result)
                    }
                })
                .buffered(depth);
            // Where a sequential walk would go on after the planned pages (the totals grew
            // during the walk); `None` once the walk has stopped for good.
            let carry_on: Arc<std::sync::Mutex<Option<u32>>> =
                Arc::new(std::sync::Mutex::new(None));
            let carry = carry_on.clone();
            let rest = stream::unfold((fetches.boxed(), false), move |(mut fetches, done)| {
                let carry = carry.clone();
                async move {
                    if done {
                        return None;
                    }
                    let set = |v: Option<u32>| {
                        *carry.lock().unwrap_or_else(|p| p.into_inner()) = v;
                    };
                    match fetches.next().await {
                        None => None,
                        Some((_, Err(e))) => {
                            set(None);
                            Some((stream::iter(vec![Err(e)]), (fetches, true)))
                        }
                        Some((_, Ok(None))) => {
                            set(None);
                            None
                        }
                        Some((index, Ok(Some(page)))) if !answered_requested(index, &page) => {
                            set(None);
                            None
                        }
                        Some((index, Ok(Some(page)))) => {
                            let next =
                                next_index(index, &page).filter(|_| !page.content.is_empty());
                            set(next);
                            let items: Vec<Result<T, Error>> =
                                page.content.into_iter().map(Ok).collect();
                            Some((stream::iter(items), (fetches, next.is_none())))
                        }
                    }
                }
            })
            .flatten();
            let tail = stream::once(async move {
                let next = *carry_on.lock().unwrap_or_else(|p| p.into_inner());
                match next {
                    Some(index) if index >= end => {
                        self.next = Some(index);
                        self.prefetch(0)
                    }
                    _ => stream::empty().boxed(),
                }
            })
            .flatten();
            let rest = rest.chain(tail);
            head.chain(rest).boxed()
        })
        .flatten();
        s.boxed()
    }

    /// Wraps the item stream with de-duplication by `key` (items repeated because the data
    /// shifted during a long offset walk are dropped). Keeps the set of keys seen.
    pub fn dedup_by<K, F>(self, depth: usize, key: F) -> impl Stream<Item = Result<T, Error>>
    where
        K: Eq + Hash + Send + 'static,
        F: Fn(&T) -> Option<K> + Send + 'static,
    {
        let mut seen: HashSet<K> = HashSet::new();
        self.prefetch(depth).filter(move |item| {
            let keep = match item {
                Ok(t) => key(t).map(|k| seen.insert(k)).unwrap_or(true),
                Err(_) => true,
            };
            futures::future::ready(keep)
        })
    }
}

/// A spawned page fetch that is aborted when dropped unfinished.
struct AbortOnDrop<R>(tokio::task::JoinHandle<R>);

impl<R> Drop for AbortOnDrop<R> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<R> std::future::Future for AbortOnDrop<R> {
    type Output = Result<R, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

async fn fetch_page<T: DeserializeOwned>(
    client: &Client,
    api: Api,
    build: &Builder,
    index: u32,
    size: u32,
    is_first: bool,
) -> Result<Option<Page<T>>, Error> {
    let req = build(index, size)?;
    let method: Method = req.method.clone();
    let path = req.path.clone();
    match client.send_on(api, req, Write::Read).await {
        Ok(resp) => decode::<Page<T>>(&resp, &method, &path).map(Some),
        Err(e) if e.is_not_found() && !is_first => Ok(None),
        Err(e) => Err(e),
    }
}

/// Pages walked backwards from the last one: used by `orders().newest(n)` (PAX8-Q21).
/// Returns at most `n` items, newest (last in server order) first.
pub(crate) async fn newest<T: DeserializeOwned + Send + 'static>(
    mut paginator: Paginator<T>,
    n: usize,
) -> Result<Vec<T>, Error> {
    let Some(first) = paginator.next_page().await? else {
        return Ok(Vec::new());
    };
    let info = first.page.unwrap_or_default();
    let size = u64::from(info.size.unwrap_or(paginator.size).max(1));
    let pages = info
        .total_pages
        .map(u64::from)
        .or_else(|| info.total_elements.map(|t| t.div_ceil(size)))
        .unwrap_or(1)
        .max(1);
    let mut index = u32::try_from(pages - 1).unwrap_or(u32::MAX);
    let mut first_content = Some(first.content);
    let mut out: Vec<T> = Vec::new();
    loop {
        let content = if index == 0 {
            first_content.take().unwrap_or_default()
        } else {
            fetch_page::<T>(
                &paginator.client,
                paginator.api,
                &paginator.build,
                index,
                paginator.size,
                false,
            )
            .await?
            .map(|p| p.content)
            .unwrap_or_default()
        };
        out.extend(content.into_iter().rev());
        if out.len() >= n || index == 0 {
            break;
        }
        index -= 1;
    }
    out.truncate(n);
    Ok(out)
}

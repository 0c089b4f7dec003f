//! Lazy pagination over the `{content, page}` envelope (§3.1, PAX8-Q05, PAX8-Q20, PAX8-Q32).
//!
//! A [`Paginator`] is a [`Stream`] of items (`Result<T, Error>`), fetching pages on demand and
//! always sending `page` and `size` (default 200, the documented maximum). It also offers
//! [`Paginator::next_page`] (one page at a time), [`Paginator::prefetch`] (keep up to `n`
//! further pages in flight, memory bounded by `n + 1` pages) and [`Paginator::collect_all`].
//!
//! # It never drops an item it received
//!
//! Pages are asked for as `page=0, 1, 2, …` from the start page, and every page's items are
//! yielded once, whatever the server writes in `page.number` (servers that number from 1, or
//! whose first answer says `number: 1`, lose nothing). The walk goes on while the totals of
//! the last page promise more: `index + 1 < totalPages`, or fewer items received than
//! `totalElements` (the second catches an under-reported `totalPages`, PAX8-Q32). It stops
//!
//! - on an empty page;
//! - when neither total promises more (a page block whose totals cannot be read counts as no
//!   totals: the walk then goes on until an empty page or a repeat);
//! - after one page when the answer has no page block at all (content-only answers);
//! - on a page that repeats the previous one (a server that ignores `page`): its items are not
//!   yielded again, and the walk stops with a warning. If the totals still promise items the
//!   next page is tried once first (a server numbering its `page` parameter from 1 answers
//!   page 1 like page 0), and a second repeat in a row ends the walk. The same content under a
//!   `page.number` greater than the last one is data that happens to repeat, and is yielded;
//! - on a 404 for a page after the first (not an error, PAX8-Q32).
//!
//! An item that cannot be decoded at all is yielded as an `Err` in its place and the walk goes
//! on ([`Page::invalid`]). Pagination is by offset: items created or deleted during a long walk
//! can shift between pages; [`Paginator::dedup_by`] drops repeats by a key.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use billing_http_core::Request;
use futures::stream::{self, BoxStream, Stream, StreamExt};

use crate::client::{Api, Client, clamp_page_size};
use crate::error::Error;
use crate::model::{Model, Page, PageInfo};

type Builder = Arc<dyn Fn(u32, u32) -> Result<Request, Error> + Send + Sync>;

/// Pages fetched ahead: the page index and what fetching it gave.
type Fetched<T> = BoxStream<'static, (u32, Result<Option<Page<T>>, Error>)>;

/// Progress of a walk, shared with the stream so that it can be read while streaming.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    last: Option<PageInfo>,
    pages: u32,
}

/// A lazy walk over the pages of one list call: a `Stream<Item = Result<T, Error>>`. See the
/// [module docs](self) for the rules.
///
/// ```no_run
/// use futures::{StreamExt, TryStreamExt};
///
/// # async fn run(client: pax8::Client) -> Result<(), pax8::Error> {
/// // item by item, four pages in flight
/// let mut orders = client.orders().list_all(Default::default()).prefetch(4);
/// while let Some(order) = orders.next().await {
///     println!("{:?}", order?.id);
/// }
/// // or everything at once
/// let companies: Vec<pax8::Company> = client.companies().list_all(Default::default()).try_collect().await?;
/// # let _ = companies; Ok(()) }
/// ```
pub struct Paginator<T> {
    walker: Option<Walker<T>>,
    items: Option<BoxStream<'static, Result<T, Error>>>,
    depth: usize,
    build: Builder,
    size: u32,
    progress: Arc<Mutex<Progress>>,
}

impl<T> std::fmt::Debug for Paginator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paginator")
            .field("size", &self.size)
            .field("depth", &self.depth)
            .field("next", &self.walker.as_ref().map(|w| w.next))
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

/// The state of a walk: what to fetch next and what was seen.
struct Walker<T> {
    client: Client,
    api: Api,
    build: Builder,
    size: u32,
    start: u32,
    operation: String,
    /// The next page to fetch; `None` once the walk is over.
    next: Option<u32>,
    /// Items received so far (decoded or not), repeats excluded.
    received: u64,
    last_fingerprint: Option<u64>,
    /// The `page.number` the last page reported, if readable.
    last_number: Option<u32>,
    repeats: u32,
    progress: Arc<Mutex<Progress>>,
    _t: PhantomData<fn() -> T>,
}

impl<T> Paginator<T> {
    fn progress(&self) -> Progress {
        *self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T: Model + Send + 'static> Paginator<T> {
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
        let start = start_page.unwrap_or(0);
        let build: Builder = Arc::new(build);
        let operation = build(start, size)
            .map(|r| r.operation.into_owned())
            .unwrap_or_default();
        let progress = Arc::new(Mutex::new(Progress::default()));
        Self {
            walker: Some(Walker {
                client,
                api,
                build: build.clone(),
                size,
                start,
                operation,
                next: Some(start),
                received: 0,
                last_fingerprint: None,
                last_number: None,
                repeats: 0,
                progress: progress.clone(),
                _t: PhantomData,
            }),
            items: None,
            depth: 0,
            build,
            size,
            progress,
        }
    }

    /// Keeps up to `depth` following pages in flight while the current one is consumed (the
    /// stream only; `next_page` fetches one page at a time). The first page is fetched alone
    /// (it gives the totals); then the pages its totals promise are requested in order with at
    /// most `depth` outstanding, each fetched and decoded in its own task, and the walk follows
    /// the rules of the [module docs](self). Without totals the walk is sequential.
    /// `depth = 0` (the default) is a sequential walk.
    pub fn prefetch(mut self, depth: usize) -> Self {
        self.depth = depth;
        self
    }

    /// The page block of the last page received (progress: `number`, `totalPages`,
    /// `totalElements`); also while streaming.
    pub fn last_page_info(&self) -> Option<PageInfo> {
        self.progress().last
    }

    /// How many pages have been received (repeated pages included); also while streaming.
    pub fn pages_fetched(&self) -> u32 {
        self.progress().pages
    }

    /// The page size sent.
    pub fn page_size(&self) -> u32 {
        self.size
    }

    /// The request for page `index` (for request-shape tests).
    pub fn request_for(&self, index: u32) -> Result<Request, Error> {
        (self.build)(index, self.size)
    }

    /// Fetches the next page that is not a repeat; `Ok(None)` once the walk is over (or once
    /// the paginator is being used as a stream). Items that could not be decoded are in the
    /// page's [`Page::invalid`].
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>, Error> {
        let Some(walker) = self.walker.as_mut() else {
            return Ok(None);
        };
        while let Some(index) = walker.next {
            let Some(page) = walker
                .fetch(index)
                .await
                .inspect_err(|_| walker.next = None)?
            else {
                walker.next = None;
                break;
            };
            if let Some(page) = walker.accept(index, page) {
                return Ok(Some(page));
            }
        }
        Ok(None)
    }

    /// Fetches every remaining item into one `Vec` (memory grows with the total; prefer the
    /// stream for large lists). Fails on the first error, including an item that could not
    /// be decoded (the stream yields such an item as an `Err` and goes on).
    pub async fn collect_all(self) -> Result<Vec<T>, Error> {
        futures::TryStreamExt::try_collect(self).await
    }

    /// The stream with items repeated under `key` dropped (items that shifted between pages
    /// during a long offset walk). Keeps the set of keys seen.
    pub fn dedup_by<K, F>(self, key: F) -> impl Stream<Item = Result<T, Error>> + Send
    where
        K: Eq + Hash + Send + 'static,
        F: Fn(&T) -> Option<K> + Send + 'static,
    {
        let mut seen: HashSet<K> = HashSet::new();
        self.filter(move |item| {
            let keep = match item {
                Ok(t) => key(t).map(|k| seen.insert(k)).unwrap_or(true),
                Err(_) => true,
            };
            futures::future::ready(keep)
        })
    }

    /// The `n` last items of the walk, last first: reads the totals of the first page and
    /// walks backwards from the last page (`orders().newest(n)`, PAX8-Q21). Whatever the
    /// server reports: without totals it walks forward and keeps the last `n`; a last page
    /// that repeats the first (the server ignores `page`) means the first page is all there is.
    pub(crate) async fn newest(mut self, n: usize) -> Result<Vec<T>, Error> {
        let Some(mut w) = self.walker.take() else {
            return Ok(Vec::new());
        };
        let start = w.start;
        let Some(first) = w.fetch(start).await? else {
            return Ok(Vec::new());
        };
        let info = first.page.unwrap_or_default();
        let size = u64::from(info.size.filter(|s| *s > 0).unwrap_or(w.size));
        let by_pages = info.total_pages.map(|t| u64::from(t).saturating_sub(1));
        let by_elements = info
            .total_elements
            .map(|e| e.div_ceil(size).saturating_sub(1));
        let Some(last) = by_pages.max(by_elements).filter(|_| first.page.is_some()) else {
            // no totals: walk forward, keeping the last n
            let mut keep: VecDeque<T> = VecDeque::with_capacity(n.min(1024));
            let mut page = w.accept(start, first);
            loop {
                if let Some(p) = page.take() {
                    fail_on_invalid(&w.operation, &p)?;
                    for item in p.content {
                        if keep.len() == n {
                            keep.pop_front();
                        }
                        keep.push_back(item);
                    }
                }
                let Some(index) = w.next else { break };
                match w.fetch(index).await? {
                    Some(p) => page = w.accept(index, p),
                    None => break,
                }
            }
            return Ok(keep.into_iter().rev().take(n).collect());
        };
        fail_on_invalid(&w.operation, &first)?;
        let mut last = u32::try_from(last).unwrap_or(u32::MAX).max(start);
        if info.number.is_some_and(|n| n > start) {
            // the first page says it is page 1: the server may read `page` from 1, so the last
            // page may be one further (an extra request; a server that only labels its pages
            // from 1 answers it with an empty page)
            last = last.saturating_add(1);
        }
        let mut out: Vec<T> = Vec::new();
        let mut seen = HashSet::from([first.fingerprint()]);
        let mut index = last;
        while index > start && out.len() < n {
            if let Some(page) = w.fetch(index).await? {
                fail_on_invalid(&w.operation, &page)?;
                if !page.is_empty() && !seen.insert(page.fingerprint()) {
                    tracing::warn!(
                        page = index,
                        "pax8: page repeats the first one; the server ignores `page`"
                    );
                    break;
                }
                out.extend(page.content.into_iter().rev());
            }
            index -= 1;
        }
        if out.len() < n {
            out.extend(first.content.into_iter().rev());
        }
        out.truncate(n);
        Ok(out)
    }
}

/// The first item of `page` that could not be decoded, as an error.
fn fail_on_invalid<T>(operation: &str, page: &Page<T>) -> Result<(), Error> {
    match page.invalid.first() {
        Some(bad) => Err(invalid_item_error(operation, bad)),
        None => Ok(()),
    }
}

fn invalid_item_error(operation: &str, bad: &crate::model::InvalidItem) -> Error {
    let path = if bad.path.is_empty() {
        format!("content[{}]", bad.index)
    } else {
        format!("content[{}].{}", bad.index, bad.path)
    };
    let raw = serde_json::to_vec(&bad.raw).unwrap_or_default();
    Error::Decode(
        billing_http_core::Error::decode(
            format!("an item could not be decoded: {}", bad.message),
            &raw,
            Some(path),
        )
        .with_vendor("pax8")
        .with_operation(operation.to_owned()),
    )
}

impl<T: Model + Send + 'static> Walker<T> {
    /// Fetches page `index`; `Ok(None)` for a 404 after the first page.
    async fn fetch(&self, index: u32) -> Result<Option<Page<T>>, Error> {
        fetch_page(
            &self.client,
            self.api,
            &self.build,
            index,
            self.size,
            index == self.start,
        )
        .await
    }

    /// Applies the rules of the module docs to the page answered for `index`: updates what
    /// to fetch next, and returns the page to yield (`None` for a repeat).
    fn accept(&mut self, index: u32, page: Page<T>) -> Option<Page<T>> {
        {
            let mut p = self.progress.lock().unwrap_or_else(|p| p.into_inner());
            p.pages = p.pages.saturating_add(1);
            p.last = page.page;
        }
        if page.is_empty() {
            self.next = None;
            return Some(page);
        }
        let info = page.page;
        let size = u64::from(
            info.and_then(|i| i.size)
                .filter(|s| *s > 0)
                .unwrap_or(self.size),
        );
        let before = u64::from(self.start).saturating_mul(size);
        let number = info.and_then(|i| i.number);
        // the same content under a page number that moved on is data that happens to repeat
        let advanced = matches!((self.last_number, number), (Some(a), Some(b)) if b > a);
        self.last_number = number;
        if self.last_fingerprint == Some(page.fingerprint()) && !advanced {
            self.repeats += 1;
            let promised = info
                .and_then(|i| i.total_elements)
                .is_some_and(|e| before.saturating_add(self.received) < e);
            if self.repeats >= 2 || !promised {
                tracing::warn!(
                    page = index,
                    operation = %self.operation,
                    "pax8: a page repeats the previous one (the server ignores `page`?); stopping, each item was yielded once"
                );
                self.next = None;
            } else {
                tracing::debug!(
                    page = index,
                    "pax8: a page repeats the previous one; trying the next"
                );
                self.next = index.checked_add(1);
            }
            return None;
        }
        self.repeats = 0;
        self.last_fingerprint = Some(page.fingerprint());
        self.received = self.received.saturating_add(page.len() as u64);
        self.next = match info {
            None => None,
            Some(info) => {
                let by_pages = info
                    .total_pages
                    .map(|t| u64::from(index) + 1 < u64::from(t));
                let by_elements = info
                    .total_elements
                    .map(|e| before.saturating_add(self.received) < e);
                let more = match (by_pages, by_elements) {
                    (None, None) => true,
                    (p, e) => p.unwrap_or(false) || e.unwrap_or(false),
                };
                if more { index.checked_add(1) } else { None }
            }
        };
        Some(page)
    }

    /// The last page index the totals of `info` promise (exclusive end), from `next`.
    fn planned_end(&self, info: Option<PageInfo>, next: u32) -> Option<u32> {
        let info = info?;
        let size = u64::from(info.size.filter(|s| *s > 0).unwrap_or(self.size));
        let by_pages = info.total_pages.map(u64::from);
        let before = u64::from(self.start).saturating_mul(size);
        let by_elements = info.total_elements.map(|e| {
            let left = e.saturating_sub(before.saturating_add(self.received));
            u64::from(next).saturating_add(left.div_ceil(size))
        });
        let end = by_pages.max(by_elements)?;
        Some(u32::try_from(end).unwrap_or(u32::MAX).max(next))
    }

    /// The items of a page as stream items: decoded items, then one error per item that could
    /// not be decoded.
    fn items_of(&self, page: Page<T>) -> Vec<Result<T, Error>> {
        let errors: Vec<Result<T, Error>> = page
            .invalid
            .iter()
            .map(|bad| Err(invalid_item_error(&self.operation, bad)))
            .collect();
        page.content.into_iter().map(Ok).chain(errors).collect()
    }
}

/// Where a streaming walk is.
enum Phase<T> {
    /// Fetching one page at a time.
    Sequential,
    /// Receiving the pages planned from the first page's totals, in order.
    Planned(Fetched<T>),
    Done,
}

/// The item stream of a walk: see [`Paginator::prefetch`].
fn item_stream<T: Model + Send + 'static>(
    walker: Walker<T>,
    depth: usize,
) -> BoxStream<'static, Result<T, Error>> {
    let state = (walker, Phase::Sequential, VecDeque::new(), depth > 0);
    stream::unfold(
        state,
        move |(mut w, mut phase, mut pending, mut plan)| async move {
            loop {
                if let Some(item) = pending.pop_front() {
                    return Some((item, (w, phase, pending, plan)));
                }
                let (index, result) = match &mut phase {
                    Phase::Done => return None,
                    Phase::Sequential => {
                        let index = w.next?;
                        (index, w.fetch(index).await)
                    }
                    Phase::Planned(fetches) => match fetches.next().await {
                        // the planned pages are done: go on one by one if the walk is not over
                        None => {
                            phase = Phase::Sequential;
                            continue;
                        }
                        Some((index, _)) if w.next != Some(index) => {
                            phase = Phase::Done;
                            continue;
                        }
                        Some(fetched) => fetched,
                    },
                };
                let page = match result {
                    Ok(Some(page)) => page,
                    Ok(None) => {
                        w.next = None;
                        phase = Phase::Done;
                        continue;
                    }
                    Err(e) => {
                        w.next = None;
                        phase = Phase::Done;
                        pending.push_back(Err(e));
                        continue;
                    }
                };
                let info = page.page;
                if let Some(page) = w.accept(index, page) {
                    pending.extend(w.items_of(page));
                }
                let Some(next) = w.next else {
                    phase = Phase::Done;
                    continue;
                };
                if plan {
                    plan = false;
                    if let Some(end) = w.planned_end(info, next).filter(|end| *end > next) {
                        phase = Phase::Planned(planned(&w, next, end, depth));
                    }
                }
            }
        },
    )
    .boxed()
}

/// Pages `from..to`, each fetched and decoded in its own task, at most `depth` in flight, in
/// order. Dropping the stream aborts the tasks still running.
fn planned<T: Model + Send + 'static>(
    w: &Walker<T>,
    from: u32,
    to: u32,
    depth: usize,
) -> Fetched<T> {
    let (client, api, build, size) = (w.client.clone(), w.api, w.build.clone(), w.size);
    stream::iter(from..to)
        .map(move |index| {
            let client = client.clone();
            let build = build.clone();
            let task = AbortOnDrop(tokio::spawn(async move {
                fetch_page::<T>(&client, api, &build, index, size, false).await
            }));
            async move {
                let result = match task.await {
                    Ok(r) => r,
                    Err(e) => Err(Error::Other(billing_http_core::Error::new(
                        billing_http_core::ErrorKind::Transport,
                        format!("page task failed: {e}"),
                    ))),
                };
                (index, result)
            }
        })
        .buffered(depth.max(1))
        .boxed()
}

impl<T: Model + Send + 'static> Stream for Paginator<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.items.is_none() {
            match this.walker.take() {
                Some(w) => this.items = Some(item_stream(w, this.depth)),
                None => return Poll::Ready(None),
            }
        }
        match this.items.as_mut() {
            Some(items) => items.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
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

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

async fn fetch_page<T: Model>(
    client: &Client,
    api: Api,
    build: &Builder,
    index: u32,
    size: u32,
    is_first: bool,
) -> Result<Option<Page<T>>, Error> {
    let req = build(index, size)?;
    match client.send_page::<T>(api, req).await {
        Ok(page) => Ok(Some(page)),
        Err(e) if e.is_not_found() && !is_first => Ok(None),
        Err(e) => Err(e),
    }
}

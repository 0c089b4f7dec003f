//! A paginator never drops an item it received (issue 13, point 3): every page's items once,
//! whatever the server writes in `page.number`, stopping on an empty page, on the totals, or on
//! a page that repeats the previous one; and `orders().newest(n)` works whatever the server
//! reports. Each server below answers from the `page` and `size` query parameters, so
//! sequential walks, prefetching walks and `newest` all see the same server.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::{Arc, Mutex};

use billing_http_core::transport::TransportError;
use billing_http_core::{HttpRequest, HttpResponse, StatusCode, Transport};
use futures::StreamExt;
use futures::future::BoxFuture;
use pax8::ListOrders;
use serde_json::{Value, json};

/// How a server pages `GET /orders`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Server {
    /// `number` is the page asked for; totals are right.
    Honest,
    /// Always answers the first page (with `number: 0`).
    IgnoresPage,
    /// Answers the page asked for but reports `number` one higher (`number: 1` first).
    NumbersFromOne,
    /// Reads its `page` parameter from 1: `page=0` and `page=1` are both the first page.
    PageParamFromOne,
    /// A page block that cannot be read (fractional size, text totals, negative pages).
    OddPageBlock,
}

#[derive(Debug, Clone)]
struct Orders {
    server: Server,
    total: usize,
    asked: Arc<Mutex<Vec<u32>>>,
}

impl Orders {
    fn new(server: Server, total: usize) -> Self {
        Self {
            server,
            total,
            asked: Arc::default(),
        }
    }

    fn answer(&self, page: u32, size: u32) -> Value {
        let size = size.max(1) as usize;
        let pages = self.total.div_ceil(size);
        let (chunk, number) = match self.server {
            Server::Honest | Server::OddPageBlock => (page as usize, page),
            Server::IgnoresPage => (0, 0),
            Server::NumbersFromOne => (page as usize, page + 1),
            Server::PageParamFromOne => ((page as usize).saturating_sub(1), page.max(1)),
        };
        let content: Vec<Value> = (chunk * size..((chunk + 1) * size).min(self.total))
            .map(|i| json!({"id": format!("o{i:05}"), "companyId": "c1"}))
            .collect();
        let block = if self.server == Server::OddPageBlock {
            json!({"size": size as f64 + 0.5, "totalElements": "lots", "totalPages": -1, "number": null})
        } else {
            json!({"size": size, "totalElements": self.total, "totalPages": pages, "number": number})
        };
        json!({"content": content, "page": block})
    }
}

impl Transport for Orders {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let reply = if request.url.path().ends_with("/token") {
            HttpResponse::new(StatusCode::OK, support::TOKEN_JSON)
        } else {
            let q = |name: &str| {
                request
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == name)
                    .and_then(|(_, v)| v.parse::<u32>().ok())
                    .unwrap_or(0)
            };
            let page = q("page");
            self.asked.lock().unwrap().push(page);
            HttpResponse::new(StatusCode::OK, self.answer(page, q("size")).to_string())
        };
        Box::pin(async move { Ok(reply) })
    }
}

fn client(server: &Orders) -> pax8::Client {
    support::client_on(Arc::new(server.clone()))
}

fn ids(orders: &[pax8::Order]) -> Vec<String> {
    orders
        .iter()
        .map(|o| o.id.as_ref().unwrap().to_string())
        .collect()
}

fn expected(total: usize) -> Vec<String> {
    (0..total).map(|i| format!("o{i:05}")).collect()
}

/// Every item of the walk, sequentially and with prefetch.
async fn walk(server: Server, total: usize) -> (Vec<String>, Vec<String>, Vec<u32>) {
    let s = Orders::new(server, total);
    let c = client(&s);
    let q = || ListOrders::new().size(10u32);
    let sequential = c.orders().list_all(q()).collect_all().await.unwrap();
    let asked = s.asked.lock().unwrap().clone();
    let prefetched: Vec<pax8::Order> = c
        .orders()
        .list_all(q())
        .prefetch(4)
        .map(Result::unwrap)
        .collect()
        .await;
    (ids(&sequential), ids(&prefetched), asked)
}

#[tokio::test]
async fn an_honest_server_gives_every_item_once() {
    let (seq, pre, asked) = walk(Server::Honest, 45).await;
    assert_eq!(seq, expected(45));
    assert_eq!(pre, expected(45));
    assert_eq!(asked, [0, 1, 2, 3, 4], "stops on totalPages");
}

#[tokio::test]
async fn a_server_numbering_pages_from_one_loses_nothing() {
    let (seq, pre, asked) = walk(Server::NumbersFromOne, 45).await;
    assert_eq!(seq, expected(45));
    assert_eq!(pre, expected(45));
    assert_eq!(asked, [0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn a_first_answer_saying_number_one_yields_its_items() {
    // one page, labelled `number: 1`: the old paginator yielded nothing
    let (seq, pre, asked) = walk(Server::NumbersFromOne, 7).await;
    assert_eq!(seq, expected(7));
    assert_eq!(pre, expected(7));
    assert_eq!(asked, [0]);
}

#[tokio::test]
async fn a_server_ignoring_page_yields_its_page_once_and_stops() {
    let (seq, pre, asked) = walk(Server::IgnoresPage, 45).await;
    assert_eq!(seq, expected(10), "each distinct item once");
    assert_eq!(pre, expected(10));
    assert_eq!(
        asked,
        [0, 1, 2],
        "one more try (totals promise items), then stop"
    );
}

#[tokio::test]
async fn a_server_reading_page_from_one_loses_nothing() {
    let (seq, pre, _) = walk(Server::PageParamFromOne, 45).await;
    assert_eq!(seq, expected(45));
    assert_eq!(pre, expected(45));
}

#[tokio::test]
async fn an_unreadable_page_block_never_fails_the_items_and_walks_to_the_empty_page() {
    let (seq, pre, asked) = walk(Server::OddPageBlock, 45).await;
    assert_eq!(seq, expected(45));
    assert_eq!(pre, expected(45));
    assert_eq!(asked, [0, 1, 2, 3, 4, 5], "no totals: until the empty page");
}

#[tokio::test]
async fn newest_works_whatever_the_server_reports() {
    for (server, total, want) in [
        (Server::Honest, 45, vec!["o00044", "o00043", "o00042"]),
        (
            Server::NumbersFromOne,
            45,
            vec!["o00044", "o00043", "o00042"],
        ),
        (
            Server::NumbersFromOne,
            7,
            vec!["o00006", "o00005", "o00004"],
        ),
        (Server::OddPageBlock, 45, vec!["o00044", "o00043", "o00042"]),
        (
            Server::PageParamFromOne,
            45,
            vec!["o00044", "o00043", "o00042"],
        ),
        // the server's one page is all there is
        (Server::IgnoresPage, 45, vec!["o00009", "o00008", "o00007"]),
    ] {
        let s = Orders::new(server, total);
        let c = client(&s);
        let newest = c
            .orders()
            .newest(ListOrders::new().size(10u32), 3)
            .await
            .unwrap();
        assert_eq!(ids(&newest), want, "{server:?} with {total}");
        let asked = s.asked.lock().unwrap().len();
        assert!(asked <= 7, "{server:?}: {asked} requests");
    }
    // more than there is: everything, newest first
    let s = Orders::new(Server::Honest, 12);
    let all = client(&s)
        .orders()
        .newest(ListOrders::new().size(10u32), 50)
        .await
        .unwrap();
    let mut want = expected(12);
    want.reverse();
    assert_eq!(ids(&all), want);
}

#[tokio::test]
async fn progress_is_visible_while_streaming() {
    let s = Orders::new(Server::Honest, 25);
    let c = client(&s);
    let mut walk = c.orders().list_all(ListOrders::new().size(10u32));
    assert_eq!(walk.pages_fetched(), 0);
    let mut n = 0;
    while let Some(o) = walk.next().await {
        o.unwrap();
        n += 1;
        let info = walk.last_page_info().unwrap();
        assert_eq!(info.total_elements, Some(25));
    }
    assert_eq!(n, 25);
    assert_eq!(walk.pages_fetched(), 3);
}

#[tokio::test]
async fn an_item_that_cannot_be_decoded_fails_alone() {
    let fake = Arc::new(OneAnswer(
        json!({"content": [{"id": "o1"}, 42, {"id": "o3", "quantity": {"odd": true}}],
               "page": {"size": 10, "totalElements": 3, "totalPages": 1, "number": 0}}),
    ));
    let c = support::client_on(fake);
    // one page: the odd item is listed, the others decode (the odd value kept raw)
    let page = c.orders().list(ListOrders::new()).await.unwrap();
    assert_eq!(page.content.len(), 2);
    assert_eq!(page.invalid.len(), 1);
    assert_eq!(page.invalid[0].index, 1);
    assert_eq!(page.invalid[0].raw, json!(42));
    assert_eq!(
        page.content[1].extra.get("quantity"),
        Some(&json!({"odd": true}))
    );
    // the stream yields an error in place of the odd item and goes on
    let items: Vec<Result<pax8::Order, pax8::Error>> =
        c.orders().list_all(ListOrders::new()).collect().await;
    assert_eq!(items.len(), 3);
    let errors: Vec<&pax8::Error> = items.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].is_decode(), "{:?}", errors[0]);
    assert!(
        errors[0].to_string().contains("content[1]"),
        "{}",
        errors[0]
    );
}

/// Answers every API request with one body.
#[derive(Debug)]
struct OneAnswer(Value);

impl Transport for OneAnswer {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let body = if request.url.path().ends_with("/token") {
            support::TOKEN_JSON.to_owned()
        } else {
            self.0.to_string()
        };
        Box::pin(async move { Ok(HttpResponse::new(StatusCode::OK, body)) })
    }
}

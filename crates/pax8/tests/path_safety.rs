//! Ids never change a request path's shape (issue 16, item 3): an empty id, `.` and `..` are
//! refused before anything is sent, and every other id is one percent-encoded segment that
//! decodes back to itself.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::{Arc, Mutex};

use billing_http_core::transport::TransportError;
use billing_http_core::{HttpRequest, HttpResponse, StatusCode, Transport};
use futures::future::BoxFuture;
use proptest::prelude::*;

/// Answers every request (a token for the token call, `{}` or 204 otherwise) and records the
/// URL paths of the API requests.
#[derive(Debug, Default, Clone)]
struct AnswerAll {
    paths: Arc<Mutex<Vec<String>>>,
}

impl Transport for AnswerAll {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let path = request.url.path().to_owned();
        let reply = if path.ends_with("/token") {
            HttpResponse::new(StatusCode::OK, support::TOKEN_JSON)
        } else {
            self.paths.lock().unwrap().push(path);
            if request.method == http::Method::DELETE {
                HttpResponse::new(StatusCode::NO_CONTENT, "")
            } else {
                HttpResponse::new(StatusCode::OK, r#"{"id":"x"}"#)
            }
        };
        Box::pin(async move { Ok(reply) })
    }
}

fn client(t: &AnswerAll) -> pax8::Client {
    support::client_on(Arc::new(t.clone()))
}

/// Whether the error is the client-side refusal of an invalid input (nothing sent).
fn refused(e: &pax8::Error) -> bool {
    e.is_invalid_input() && !e.may_have_reached_server()
}

/// The calls under test: name, the id's index among the path segments, the segment count,
/// and the call itself.
type Call = fn(pax8::Client, String) -> BoxFuture<'static, Result<(), pax8::Error>>;

fn calls() -> Vec<(&'static str, usize, usize, Call)> {
    #[allow(unused_mut)]
    let mut calls: Vec<(&'static str, usize, usize, Call)> = vec![
        ("companies.get", 2, 3, |c, id| {
            Box::pin(async move { c.companies().get(id).await.map(|_| ()) })
        }),
        ("contacts.delete", 4, 5, |c, id| {
            Box::pin(async move { c.companies().contacts("c1").delete(id).await })
        }),
        ("subscriptions.cancel", 2, 3, |c, id| {
            Box::pin(async move { c.subscriptions().cancel(id, None).await })
        }),
    ];
    #[cfg(feature = "webhooks")]
    calls.push(("webhooks.delete", 3, 4, |c, id| {
        Box::pin(async move { c.webhooks().delete(id).await })
    }));
    calls
}

/// Percent-decodes a path segment.
fn decode(seg: &str) -> String {
    let b = seg.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn dot_segment_and_empty_ids_are_refused_before_sending() {
    for (name, _, _, call) in calls() {
        for id in ["", ".", ".."] {
            let t = AnswerAll::default();
            let err = call(client(&t), id.to_owned())
                .await
                .expect_err(&format!("{name}({id:?}) must be refused"));
            assert!(refused(&err), "{name}({id:?}): {err}");
            assert!(t.paths.lock().unwrap().is_empty(), "{name}({id:?}) sent");
        }
    }
}

fn check(id: &str) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (name, index, segments, call) in calls() {
        let t = AnswerAll::default();
        let result = rt.block_on(call(client(&t), id.to_owned()));
        let sent = t.paths.lock().unwrap().clone();
        if matches!(id, "" | "." | "..") {
            prop_assert!(result.as_ref().is_err_and(refused), "{name}({id:?})");
            prop_assert!(sent.is_empty());
            continue;
        }
        prop_assert!(result.is_ok(), "{}({:?}): {:?}", name, id, result);
        prop_assert_eq!(sent.len(), 1);
        let parts: Vec<&str> = sent[0].split('/').skip(1).collect();
        prop_assert_eq!(parts.len(), segments, "{}({:?}) sent {}", name, id, sent[0]);
        prop_assert_eq!(
            decode(parts[index]),
            id,
            "{}({:?}) sent {}",
            name,
            id,
            sent[0]
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_id_keeps_the_path_shape_and_round_trips(id in prop_oneof![
        ".*",
        "[./%?#\\\\ a-z]{0,6}",
        Just(String::new()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just("...".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("../../".to_owned()),
        Just("a/../b".to_owned()),
    ]) {
        check(&id)?;
    }
}

//! Regression tests for the reliability defects of issue 16 that concern `ppms`: creates answered
//! unreadably, marker matching, and the reserved-parameter check of the raw calls.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use ppms::testing::ScriptedTransport;
use ppms::{Client, CreateOutcome, NewOrder, OrderRef, ServiceId, UserParams};

fn client(t: &ScriptedTransport) -> Client {
    Client::builder("https://ppms.example.org/site")
        .api_key("test-key")
        .transport(Arc::new(t.clone()))
        .no_rate_limit()
        .build()
        .unwrap()
}

#[tokio::test]
async fn createorder_answered_2xx_unreadably_is_outcome_unknown() {
    let order = NewOrder::new(ServiceId(112), "jdoe", 1);
    for body in [
        "<!DOCTYPE html><html><body>Maintenance</body></html>",
        "",
        "\r\n",
        "Invalid service",
        "order 48213 created",
        "{\"orderref\": 48213}",
        "48213\r\n48214\r\n",
    ] {
        let t = ScriptedTransport::always(body);
        let err = client(&t).orders().create(&order).await.unwrap_err();
        assert!(err.is_outcome_unknown(), "{body:?}: {err:?}");
        assert!(err.may_have_reached_server(), "{body:?}");
        assert_eq!(t.calls(), 1, "{body:?}: createorder is never resent");
    }
}

#[tokio::test]
async fn newuser_answered_2xx_unreadably_is_outcome_unknown() {
    let t = ScriptedTransport::always("<html>proxy error</html>");
    let params = UserParams::new("jdoe", "Doe", "Jane", "jane.doe@example.org", "doe_lab");
    let err = client(&t).users().upsert(&params).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
}

#[tokio::test]
async fn createorder_refused_with_an_error_body_is_not_outcome_unknown() {
    let order = NewOrder::new(ServiceId(112), "jdoe", 1);
    let t = ScriptedTransport::always("error: invalid user jdoe\r\n");
    let err = client(&t).orders().create(&order).await.unwrap_err();
    assert!(!err.is_outcome_unknown(), "{err:?}");
    assert!(err.is_not_found(), "{err:?}");
}

const ORDERS_WITH_ORDER_10: &str = "Orders\r\nCore facility ref.,Order ref.,User,Group,Status,Staff comments\r\n3,48213,\"jdoe\",\"doe_lab\",\"Ordered\",\"batch ORDER-10\"\r\n";

#[tokio::test]
async fn create_once_marker_does_not_match_a_longer_marker() {
    let t = ScriptedTransport::by_action(vec![
        ("getorders", ORDERS_WITH_ORDER_10.to_owned()),
        ("createorder", "48214\r\n".into()),
    ]);
    let c = client(&t);
    assert!(
        c.orders()
            .find_by_marker("ORDER-1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        c.orders()
            .find_by_marker("ORDER-10")
            .await
            .unwrap()
            .is_some()
    );
    let order = NewOrder::new(ServiceId(1), "jdoe", 1);
    let outcome = c.orders().create_once(&order, "ORDER-1").await.unwrap();
    assert_eq!(outcome, CreateOutcome::Created(OrderRef(48214)));
    let sent = t
        .seen()
        .into_iter()
        .find(|r| r.field("action") == Some("createorder"));
    assert_eq!(sent.unwrap().field("scomments"), Some("ORDER-1"));
}

#[tokio::test]
async fn create_once_marker_matches_as_a_whole_token() {
    for comment in ["ORDER-1", "batch ORDER-1", "ORDER-1 batch", "x,ORDER-1;y"] {
        let body = ORDERS_WITH_ORDER_10.replace("batch ORDER-10", comment);
        let t = ScriptedTransport::by_action(vec![("getorders", body)]);
        let found = client(&t).orders().find_by_marker("ORDER-1").await.unwrap();
        assert_eq!(
            found.map(|o| o.order_ref),
            Some(OrderRef(48213)),
            "{comment:?}"
        );
    }
    for comment in ["ORDER-10", "ORDER-1x", "xORDER-1", "order-1", "PRE-ORDER-1"] {
        let body = ORDERS_WITH_ORDER_10.replace("batch ORDER-10", comment);
        let t = ScriptedTransport::by_action(vec![("getorders", body)]);
        let found = client(&t).orders().find_by_marker("ORDER-1").await.unwrap();
        assert!(found.is_none(), "{comment:?}");
    }
}

#[tokio::test]
async fn raw_calls_refuse_reserved_names_padded_or_in_any_case() {
    let t = ScriptedTransport::always("ok\r\n");
    let c = client(&t);
    for name in [
        "action",
        " action",
        "action ",
        "ACTION",
        "Action\t",
        "apikey",
        " APIKEY",
        "psapwd",
        "ac\ntion",
        "x\r\naction",
        "id\u{0}",
        "",
    ] {
        let read = c.raw_read("getusers", &[(name, "createorder")]).await;
        assert!(read.is_err(), "raw_read accepted {name:?}");
        let action = c.raw_action("getusers", &[(name, "createorder")]).await;
        assert!(action.is_err(), "raw_action accepted {name:?}");
    }
    for action in ["get\nusers", "get\rusers", "\u{7}getusers"] {
        assert!(c.raw_read(action, &[]).await.is_err(), "{action:?}");
    }
    assert_eq!(t.calls(), 0, "nothing is sent for a refused name");
    c.raw_read("getusers", &[("active", "true")]).await.unwrap();
    assert_eq!(t.calls(), 1);
}

#[tokio::test]
async fn create_once_refuses_markers_that_are_not_one_token() {
    let t = ScriptedTransport::always("");
    let c = client(&t);
    let order = NewOrder::new(ServiceId(1), "jdoe", 1);
    let long = "m".repeat(101);
    for marker in [
        "",
        " ",
        "two words",
        "a,b",
        "x\ny",
        "\"quoted\"",
        long.as_str(),
    ] {
        let err = c.orders().create_once(&order, marker).await.unwrap_err();
        assert!(err.is_invalid_input(), "{marker:?}: {err:?}");
    }
    assert_eq!(t.calls(), 0, "nothing is sent for a refused marker");
}

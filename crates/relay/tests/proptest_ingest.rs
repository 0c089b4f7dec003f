//! Property: any body — any JSON value, line-like objects with random field values, doubly
//! encoded objects, arbitrary bytes — gets a 2xx, or a 4xx with a machine-readable code; never
//! a 5xx, never a panic. Against the real HTTP server and a real SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, OnceLock};

use billing_relay::adapters::fault::FaultAdapter;
use billing_relay::adapters::{Adapter, Capabilities};
use common::{Harness, injected_tenant};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

struct Env {
    rt: tokio::runtime::Runtime,
    h: Harness,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let erp: Arc<dyn Adapter> =
            Arc::new(FaultAdapter::new(Capabilities::new(true, true, false)));
        let h = rt.block_on(Harness::start(&injected_tenant("t", ""), vec![("t", erp)]));
        Env { rt, h }
    })
}

const KEYS: &[&str] = &[
    "unique_id",
    "uniqueid",
    "case_nr",
    "worksheet",
    "case_id",
    "product_nr",
    "product_amount",
    "workshop",
    "dealer",
    "dispensed_at",
    "username",
    "password",
    "Password",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::String),
        "[ -~]{0,140}".prop_map(Value::String),
        "-?[0-9]{0,32}(\\.[0-9]{0,32})?([eE][+-]?[0-9]{1,4})?".prop_map(Value::String),
        "(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]{1,9})?(Z|[+-][0-2][0-9]:[0-5][0-9])"
            .prop_map(Value::String),
        Just(Value::String("t".into())),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// An object that looks like a line: the required fields, then 0 to 2 fields (any name,
/// credentials rarely) set to random values, and unknown fields with random content.
fn line_like() -> impl Strategy<Value = Value> {
    let mutated = prop_oneof![
        9 => prop::sample::select(&KEYS[..10]).prop_map(str::to_owned),
        1 => prop::sample::select(&KEYS[10..]).prop_map(str::to_owned),
    ];
    (
        prop::collection::btree_map(mutated, leaf(), 0..3),
        prop::collection::btree_map("[a-z_]{1,12}", value(), 0..3),
        // few ids, so resends (200) and conflicts (409) happen too
        "[A-C][0-9]?",
        leaf(),
    )
        .prop_map(|(known, extra, id, amount)| {
            let mut m: Map<String, Value> = extra
                .into_iter()
                .filter(|(k, _)| !KEYS.contains(&k.as_str()))
                .collect();
            m.insert("unique_id".into(), Value::String(id));
            m.insert("case_nr".into(), json!("c"));
            m.insert("product_nr".into(), json!(1));
            // an amount from the numbers the leaves give, or a valid one
            let amount = match amount {
                Value::Number(n) => Value::Number(n),
                _ => json!("1.5"),
            };
            m.insert("product_amount".into(), amount);
            for (k, v) in known {
                m.insert(k, v);
            }
            Value::Object(m)
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => line_like().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        2 => value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => line_like().prop_map(|v| serde_json::to_vec(&Value::String(v.to_string())).unwrap()),
        1 => prop::collection::vec(any::<u8>(), 0..300),
    ]
}

fn check(body: Vec<u8>) -> Result<(), TestCaseError> {
    let e = env();
    let r = e.rt.block_on(async {
        let resp =
            e.h.http
                .post(e.h.url("/v1/tenants/t/order-lines"))
                .bearer_auth(common::KEY)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
        common::reply(resp).await
    });
    match r.status {
        200..=299 => prop_assert!(r.body["status"].is_string(), "{}", r.raw),
        400..=499 => prop_assert!(
            r.body["code"].is_string(),
            "{} without a code: {}",
            r.status,
            r.raw
        ),
        s => prop_assert!(false, "status {s}: {}", r.raw),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_json_body_gets_2xx_or_4xx_with_a_code(body in body()) {
        check(body)?;
    }
}

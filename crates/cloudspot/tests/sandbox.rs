//! Behaviour tests against the workspace sandbox: the cassettes of `fixtures/cloudspot/`
//! served over real HTTP on 127.0.0.1, with injected faults. The client runs on a virtual
//! clock, so retry delays take no real time.
#![allow(clippy::unwrap_used)]

mod common;

use std::str::FromStr;

use billing_sandbox::{Fault, FaultPlan, Sandbox};
use cloudspot::{ArticleStatus, Ean, Error, StockTracking};
use rust_decimal::Decimal;

async fn sandbox_with(cassettes: &[&str], faults: Option<FaultPlan>) -> anyhow::Result<Sandbox> {
    let mut b = Sandbox::builder("cloudspot").scrub_config(cloudspot::recording::scrub_config());
    for c in cassettes {
        b = b.cassette(&format!("cloudspot/{c}.json"))?;
    }
    if let Some(plan) = faults {
        b = b.faults(plan);
    }
    Ok(b.start().await?)
}

#[tokio::test]
async fn html_502_page_is_retried_then_the_list_decodes() -> anyhow::Result<()> {
    let sb = sandbox_with(
        &["artikels_list"],
        Some(FaultPlan::sequence([
            Some(Fault::HtmlErrorPage { status: 502 }),
            None,
        ])),
    )
    .await?;
    let articles = common::client_at(&sb.url()).articles().list().await?;
    assert_eq!(articles.len(), 6);
    assert_eq!(sb.count("GET /artikels/"), 2);
    Ok(())
}

#[tokio::test]
async fn html_502_page_without_retries_is_a_typed_error_with_snippet() -> anyhow::Result<()> {
    let sb = sandbox_with(
        &["artikels_list"],
        Some(FaultPlan::sequence([Some(Fault::HtmlErrorPage {
            status: 502,
        })])),
    )
    .await?;
    let client = cloudspot::Client::builder(common::TOKEN)
        .base_url(sb.url())
        .retry(billing_http_core::retry::RetryPolicy::never())
        .build()?;
    let err = client.articles().list().await.unwrap_err();
    match &err {
        Error::Api(a) => {
            assert_eq!(a.status, 502);
            assert_eq!(a.message, None);
            assert!(
                a.body
                    .as_deref()
                    .unwrap_or_default()
                    .to_ascii_lowercase()
                    .contains("<html")
            );
        }
        other => panic!("expected Api 502, got {other:?}"),
    }
    assert!(err.is_retryable());
    Ok(())
}

#[tokio::test]
async fn html_page_with_status_200_is_unexpected_body() -> anyhow::Result<()> {
    let sb = sandbox_with(
        &["artikels_list"],
        Some(FaultPlan::sequence([Some(Fault::HtmlErrorPage {
            status: 200,
        })])),
    )
    .await?;
    let err = common::client_at(&sb.url())
        .articles()
        .list()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedBody { status: 200, .. }),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn unknown_keys_and_string_decimals_decode_over_http() -> anyhow::Result<()> {
    let sb = sandbox_with(&["artikels_list"], None).await?;
    let articles = common::client_at(&sb.url()).articles().list().await?;
    let full = &articles[0];
    assert_eq!(full.sales_price_excl_vat, Some(Decimal::from_str("8.26")?)); // "8.26"
    assert_eq!(full.sales_price_incl_vat, Some(Decimal::from_str("9.99")?)); // 9.99
    let minimal = &articles[1];
    assert_eq!(
        minimal.sales_price_excl_vat,
        Some(Decimal::from_str("12.1")?)
    ); // 12.1 exactly
    assert_eq!(minimal.vat_rate, Some(Decimal::from(21))); // "21.00"
    assert_eq!(minimal.ean.len(), 3);
    assert!(matches!(minimal.ean[2], Ean::Other(_)));
    let future = &articles[3]; // unknown keys and unknown enum values
    assert_eq!(
        future.stock_tracking,
        Some(StockTracking::Unknown("VIRTUEEL".into()))
    );
    assert_eq!(
        future.status,
        Some(ArticleStatus::Unknown("ARCHIEF".into()))
    );
    assert_eq!(future.photos.len(), 1);
    Ok(())
}

#[tokio::test]
async fn connection_reset_and_429_are_retried_for_gets() -> anyhow::Result<()> {
    let sb = sandbox_with(
        &["klanten_list"],
        Some(FaultPlan::sequence([
            Some(Fault::ConnectionReset),
            Some(Fault::TooManyRequests {
                retry_after_secs: 1,
            }),
            None,
        ])),
    )
    .await?;
    let customers = common::client_at(&sb.url()).customers().list().await?;
    assert_eq!(customers.len(), 6);
    assert_eq!(sb.count("GET /klanten/"), 3);
    Ok(())
}

#[tokio::test]
async fn forbidden_klanten_keeps_message_and_is_not_retried() -> anyhow::Result<()> {
    let sb = sandbox_with(&["klanten_forbidden"], None).await?;
    let err = common::client_at(&sb.url())
        .customers()
        .list()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert_eq!(err.resource(), Some("klanten"));
    assert!(err.server_message().unwrap_or_default().contains("klanten"));
    assert_eq!(sb.count("GET /klanten/"), 1);
    Ok(())
}

#[cfg(feature = "legacy-user-auth")]
#[tokio::test]
#[allow(deprecated)]
async fn expired_session_token_401_makes_the_token_cache_refetch_once() -> anyhow::Result<()> {
    let sb = Sandbox::builder("cloudspot")
        .scrub_config(cloudspot::recording::scrub_config())
        .cassette("cloudspot/legacy_user_login.json")?
        .faults_on(
            "GET /auth/get-permissions/",
            FaultPlan::sequence([Some(Fault::Status(401)), None]),
        )
        .start()
        .await?;
    let user = cloudspot::UserClient::builder("TimeApp")
        .base_url(sb.url())
        .clock(std::sync::Arc::new(
            billing_http_core::clock::ManualClock::new(),
        ))
        .build()?;
    user.sign_in("jdoe", "not-the-real-password").await?;
    let perms = user.permissions().await?;
    assert_eq!(
        perms.slugs(),
        vec!["timeapp_use", "timeapp_timetracking_use"]
    );
    assert_eq!(
        sb.count("POST /auth/signin-external-app/"),
        2,
        "one sign-in plus exactly one refetch"
    );
    assert_eq!(sb.count("GET /auth/get-permissions/"), 2);
    Ok(())
}

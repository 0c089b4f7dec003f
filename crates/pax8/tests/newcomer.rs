//! The README's Pax8 jobs, written as a newcomer would: with `pax8`'s public API only (plus
//! `tokio` and `futures`), against the offline sandbox (docs/conventions.md §10).
//!
//! Companies, every order with prefetch, a subscription report, a dry-run order, and a lookup
//! that is not found, made an `Option` with `.optional()`.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use pax8::{
    BillingTerm, CompanyId, CreateLineItem, CreateOrder, ListCompanies, ListOrders,
    ListSubscriptions, OptionalExt, OrderedBy, ProvisioningValue, SubscriptionStatus,
};

/// The sandbox a newcomer points the client at (here: started in-process).
async fn sandbox() -> billing_sandbox::Sandbox {
    billing_sandbox::Sandbox::builder("pax8")
        .all_fixtures()
        .unwrap()
        .synthetic(billing_sandbox::Synthetic::pax8(42, 1_000, 250))
        .start()
        .await
        .unwrap()
}

fn client(base: &str) -> Result<pax8::Client, pax8::Error> {
    pax8::Client::builder()
        .credentials("my-client-id", "my-client-secret")
        .base_url(base)
        .token_url(format!("{base}/token"))
        .build()
}

#[tokio::test]
async fn the_readme_jobs_with_pax8_alone() -> Result<(), pax8::Error> {
    let sandbox = sandbox().await;
    let base = sandbox.url().trim_end_matches('/').to_owned();
    let client = client(&base)?;

    // Companies: one page, and all of them.
    let page = client.companies().list(ListCompanies::new()).await?;
    let total = page.page.and_then(|p| p.total_elements).unwrap_or(0);
    assert_eq!(total, 42);
    let all: Vec<pax8::Company> = client
        .companies()
        .list_all(Default::default())
        .try_collect()
        .await?;
    assert_eq!(all.len(), 42);

    // Every order, four pages fetched ahead.
    let mut orders = client
        .orders()
        .list_all(ListOrders::new().size(100u32))
        .prefetch(4);
    let mut seen = 0;
    while let Some(order) = orders.next().await {
        assert!(order?.id.is_some());
        seen += 1;
    }
    assert_eq!(seen, 1_000);

    // A subscription report: seats and revenue per product, every page streamed.
    let mut report: BTreeMap<String, (u32, pax8::Decimal)> = BTreeMap::new();
    let mut subs = client
        .subscriptions()
        .list_all(ListSubscriptions::new().status(SubscriptionStatus::Active))
        .prefetch(2);
    while let Some(sub) = subs.next().await {
        let sub = sub?;
        let row = report
            .entry(sub.product_name.clone().unwrap_or_default())
            .or_default();
        row.0 += 1;
        row.1 += sub.price.unwrap_or_default() * sub.quantity.unwrap_or_default();
    }
    assert!(!report.is_empty());
    for status in [
        SubscriptionStatus::Active,
        SubscriptionStatus::PendingCancel,
    ] {
        assert!(!status.label().is_empty());
    }

    // A dry-run order: validated, nothing bought.
    let order = CreateOrder::new("11111111-2222-4333-8444-555555555555")
        .ordered_by(OrderedBy::Pax8Partner)
        .ordered_by_user_email("jane.doe@example.org")
        .line(
            CreateLineItem::new(
                "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
                3,
                BillingTerm::Annual,
            )
            .commitment("99999999-8888-4777-8666-555555555555")
            .provision_start("2031-06-01T00:00:00Z".parse().unwrap())
            .provisioning(ProvisioningValue::single(
                "exampleDomainPrefix",
                "examplewidgets",
            )),
        );
    let checked = client.orders().validate(&order).await?;
    assert_eq!(checked.line_items.len(), 1);

    // A lookup that is not found: an error, or `None` with `.optional()`.
    let missing = CompanyId::from("00000000-0000-4000-8000-000000000000");
    let err = client.companies().get(&missing).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.status(), Some(pax8::StatusCode::NOT_FOUND));
    assert!(client.companies().get(missing).await.optional()?.is_none());
    let first = all[0].id.clone().unwrap();
    assert!(client.companies().get(first).await.optional()?.is_some());
    Ok(())
}

#[tokio::test]
async fn from_env_without_variables_names_the_missing_one() {
    // The one variable test that needs no environment: the names are documented constants.
    assert_eq!(pax8::client::ENV_CLIENT_ID, "PAX8_CLIENT_ID");
    assert_eq!(pax8::client::ENV_CLIENT_SECRET, "PAX8_CLIENT_SECRET");
    if std::env::var_os("PAX8_CLIENT_ID").is_none() {
        let err = pax8::Client::from_env().unwrap_err();
        assert!(err.is_invalid_input());
        assert_eq!(
            err.core().and_then(|e| e.missing_env_var()),
            Some("PAX8_CLIENT_ID")
        );
    }
}

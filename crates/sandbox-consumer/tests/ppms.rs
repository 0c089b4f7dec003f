//! An application's PPMS tests against billing-sandbox (see docs/testing-your-app.md).

use billing_sandbox::{Sandbox, Vendor};
use ppms::{ActiveFilter, Client, SystemId};

#[tokio::test]
async fn lists_active_users_and_systems() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(Vendor::Ppms).await?;
    let client = Client::builder(sandbox.url()).api_key("any-key").build()?;

    // Synthetic users: 100 active, 10 inactive; the filter filters.
    assert_eq!(client.users().list(ActiveFilter::Active).await?.len(), 100);
    assert_eq!(client.users().list(ActiveFilter::Inactive).await?.len(), 10);
    // Recorded answers: the same every time.
    let systems = client.systems().list().await?;
    assert_eq!(client.systems().list().await?.len(), systems.len());
    assert!(!systems.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_fault_on_request_is_retried() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(Vendor::Ppms).await?;
    // Every request through this base URL fails with 503 once, then answers normally.
    let client = Client::builder(sandbox.url_with_fault("503;times=1"))
        .api_key("any-key")
        .build()?;
    assert!(!client.systems().list().await?.is_empty());
    assert_eq!(sandbox.count("POST /pumapi/ getsystems"), 2);
    Ok(())
}

#[tokio::test]
async fn a_miss_costs_one_request_and_explains_itself() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(Vendor::Ppms).await?;
    let client = Client::builder(sandbox.url()).api_key("any-key").build()?;
    let Err(err) = client.systems().get(SystemId(424242)).await else {
        panic!("system 424242 is not recorded");
    };
    assert_eq!(sandbox.count("POST /pumapi/ getsystems"), 1, "not retried");
    assert!(
        err.to_string().contains("no recorded interaction matches"),
        "the explanation is in the error: {err}"
    );
    Ok(())
}

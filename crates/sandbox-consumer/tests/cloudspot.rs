//! An application's Cloudspot tests against billing-sandbox (see docs/testing-your-app.md).

use billing_sandbox::{Sandbox, Vendor};
use cloudspot::Client;

#[tokio::test]
async fn lists_articles_and_finds_one_by_id() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(Vendor::Cloudspot).await?;
    let client = Client::builder("any-token")
        .base_url(sandbox.url())
        .build()?;

    let articles = client.articles().list().await?;
    assert!(!articles.is_empty());
    let first = articles[0].id.ok_or("the first article has an id")?;
    assert_eq!(client.articles().get(first).await?.id, Some(first));
    // An unknown id: Cloudspot's empty list, a not-found error.
    let missing = client.articles().get(424242).await.err();
    assert!(missing.is_some_and(|e| e.is_not_found()));
    Ok(())
}

#[tokio::test]
async fn a_fault_on_request_is_retried() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(Vendor::Cloudspot).await?;
    // An HTML maintenance page with status 502, once; then the real list.
    let client = Client::builder("any-token")
        .base_url(sandbox.url_with_fault("html=502;times=1"))
        .build()?;
    assert!(!client.articles().list().await?.is_empty());
    assert_eq!(sandbox.count("GET /artikels/"), 2);
    Ok(())
}

#[tokio::test]
async fn a_miss_costs_one_request_and_explains_itself() -> Result<(), Box<dyn std::error::Error>> {
    // Recordings only: a lookup nothing recorded is a miss.
    let sandbox = Sandbox::stable(Vendor::Cloudspot)
        .without_synthetic()
        .start()
        .await?;
    let client = Client::builder("any-token")
        .base_url(sandbox.url())
        .build()?;
    let Err(err) = client.articles().get(424242).await else {
        panic!("article 424242 is not recorded");
    };
    assert_eq!(sandbox.count("GET /artikels/"), 1, "not retried");
    assert!(
        err.to_string().contains("no recorded interaction matches"),
        "the explanation is in the error: {err}"
    );
    Ok(())
}

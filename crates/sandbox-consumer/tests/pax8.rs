//! An application's Pax8 tests against billing-sandbox (see docs/testing-your-app.md).

use billing_sandbox::{Sandbox, Vendor, pax8_company_id};
use pax8::Client;
use pax8::model::{CompanyId, ProductId};
use pax8::subscriptions::ListSubscriptions;

fn client(sandbox: &Sandbox, base_url: String) -> Result<Client, pax8::Error> {
    Client::builder()
        .credentials("any-client-id", "any-client-secret")
        .base_url(base_url)
        .token_url(sandbox.url_for("token"))
        .build()
}

#[tokio::test]
async fn lists_one_companys_subscriptions() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(Vendor::Pax8).await?;
    let client = client(&sandbox, sandbox.url())?;

    let company = CompanyId::from(pax8_company_id(3));
    let subscriptions = client
        .subscriptions()
        .list_all(ListSubscriptions::new().company_id(company.clone()))
        .collect_all()
        .await?;
    assert!(!subscriptions.is_empty());
    assert!(
        subscriptions
            .iter()
            .all(|s| s.company_id.as_ref() == Some(&company))
    );

    // An unknown company: 403 "Invalid companyId", as Pax8 answers.
    let unknown = ListSubscriptions::new().company_id(CompanyId::from("not-a-company"));
    let err = client
        .subscriptions()
        .list_all(unknown)
        .collect_all()
        .await
        .err();
    assert!(err.is_some_and(|e| e.to_string().contains("Invalid companyId")));
    Ok(())
}

#[tokio::test]
async fn a_fault_on_request_is_retried() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(Vendor::Pax8).await?;
    // API calls through this base URL fail with 502 once, then answer normally.
    let client = client(&sandbox, sandbox.url_with_fault("502;times=1"))?;
    let company = CompanyId::from(pax8_company_id(0));
    assert_eq!(client.companies().get(&company).await?.id, Some(company));
    assert_eq!(
        sandbox.count(&format!("GET /companies/{}", pax8_company_id(0))),
        2
    );
    Ok(())
}

#[tokio::test]
async fn a_miss_costs_one_request_and_explains_itself() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(Vendor::Pax8).await?;
    let client = client(&sandbox, sandbox.url())?;
    let Err(err) = client
        .products()
        .get(&ProductId::from("no-such-product"))
        .await
    else {
        panic!("the product is not recorded");
    };
    assert_eq!(
        sandbox.count("GET /products/no-such-product"),
        1,
        "not retried"
    );
    assert!(
        err.to_string().contains("no recorded interaction matches"),
        "the explanation is in the error: {err}"
    );
    assert!(!err.is_retryable(), "a miss is not worth retrying: {err:?}");
    Ok(())
}

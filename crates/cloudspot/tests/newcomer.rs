//! The README's Cloudspot jobs, written the way a newcomer would after reading only the README
//! and rustdoc: **only `cloudspot`'s public API** (and tokio) on the client side
//! (docs/conventions.md §10). The workspace sandbox stands in for the ERP, serving the committed
//! cassettes over real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use billing_sandbox::Sandbox;
use cloudspot::{Client, OptionalExt};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The sandbox with the cassettes the jobs below read.
async fn erp() -> Result<Sandbox, Box<dyn std::error::Error>> {
    let mut b = Sandbox::builder("cloudspot");
    for c in [
        "artikels_list",
        "artikels_get_not_found",
        "klanten_list",
        "categories_get",
    ] {
        b = b.cassette(&format!("cloudspot/{c}.json"))?;
    }
    Ok(b.start().await?)
}

/// A client as the README builds it, at the sandbox (kept alive by the returned handle).
async fn client() -> Result<(Sandbox, Client), Box<dyn std::error::Error>> {
    let erp = erp().await?;
    let client = Client::builder("my-company-token")
        .base_url(erp.url())
        .build()?;
    Ok((erp, client))
}

#[tokio::test]
async fn articles_with_stock_and_price() -> TestResult {
    let (_erp, client) = client().await?;

    let articles = client.articles().list().await?;
    let mut lines = Vec::new();
    for a in &articles {
        if let (Some(sku), Some(stock), Some(price)) = (&a.sku, a.stock, a.sales_price_excl_vat) {
            let status = a.status.as_ref().map(|s| s.label().into_owned());
            lines.push(format!(
                "{sku} {stock} {price:.2} {}",
                status.unwrap_or_default()
            ));
        }
    }
    assert_eq!(articles.len(), 6);
    assert_eq!(lines, ["VB-5W30-01 42.0 8.26 Visible"]);
    let sku = cloudspot::find_article_by_sku(&articles, "RV-5L").unwrap();
    assert_eq!(sku.status, Some(cloudspot::ArticleStatus::NotSellable));
    Ok(())
}

#[tokio::test]
async fn customers_and_one_by_number() -> TestResult {
    let (_erp, client) = client().await?;

    let customers = client.customers().list().await?;
    assert_eq!(customers.len(), 6);
    let jane = cloudspot::find_customer(&customers, 1042).unwrap();
    assert_eq!(jane.first_name.as_deref(), Some("Jane"));
    assert_eq!(jane.city.as_deref(), Some("Gent"));
    // a number sent as a string is the same customer number
    assert!(cloudspot::find_customer(&customers, 1043).is_some());
    Ok(())
}

#[tokio::test]
async fn get_found_and_not_found_then_optional() -> TestResult {
    let (_erp, client) = client().await?;

    let category = client.categories().get(1).await?;
    assert_eq!(category.name.as_deref(), Some("Auto"));
    assert!(client.categories().get(1).await.optional()?.is_some());

    let missing = client.articles().get(999_999_999).await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert!(!missing.is_retryable() && !missing.is_auth());
    assert_eq!(missing.status(), Some(cloudspot::StatusCode::OK));
    assert!(
        client
            .articles()
            .get(999_999_999)
            .await
            .optional()?
            .is_none()
    );
    Ok(())
}

#[tokio::test]
async fn builder_settings_need_only_this_crate() -> TestResult {
    use std::time::Duration;

    let erp = erp().await?;
    let client = Client::builder("my-company-token")
        .base_url(format!("{}/", erp.url()))
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .retry(cloudspot::RetryPolicy::default())
        .rate_limit(cloudspot::Quota::per_second(20))
        .user_agent("newcomer/1")
        .max_pages(10)
        .build()?;
    assert_eq!(client.customers().list().await?.len(), 6);
    let err = Client::builder("token\r\nX-Other: 1").build().unwrap_err();
    assert!(err.is_invalid_input() && !err.may_have_reached_server());
    Ok(())
}

/// Runs one test of this binary in a child process with the given environment (setting
/// variables in this process would race with the other tests). Returns the child's output.
fn run_child(test: &str, set: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([test, "--exact", "--test-threads=1"])
        .env("CLOUDSPOT_NEWCOMER_CHILD", "1")
        .env_remove("CLOUDSPOT_TOKEN")
        .env_remove("CLOUDSPOT_BASE_URL");
    for (k, v) in set {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child {test} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn in_child() -> bool {
    std::env::var_os("CLOUDSPOT_NEWCOMER_CHILD").is_some()
}

#[test]
fn from_env_names_the_missing_variable() {
    if !in_child() {
        run_child("from_env_names_the_missing_variable", &[]);
        return;
    }
    let err = Client::from_env().unwrap_err();
    assert_eq!(
        err.core().and_then(|e| e.missing_env_var()),
        Some("CLOUDSPOT_TOKEN")
    );
    assert!(err.is_invalid_input());
    assert!(err.to_string().contains("CLOUDSPOT_TOKEN"), "{err}");
    assert!(Client::builder_from_env().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_env_reads_token_and_base_url() -> TestResult {
    if !in_child() {
        let erp = erp().await?;
        let url = erp.url();
        tokio::task::spawn_blocking(move || {
            run_child(
                "from_env_reads_token_and_base_url",
                &[
                    ("CLOUDSPOT_TOKEN", "my-company-token"),
                    ("CLOUDSPOT_BASE_URL", &url),
                ],
            )
        })
        .await?;
        assert_eq!(erp.count("GET /artikels/"), 1);
        return Ok(());
    }
    let client = Client::from_env()?;
    assert_eq!(client.articles().list().await?.len(), 6);
    Ok(())
}

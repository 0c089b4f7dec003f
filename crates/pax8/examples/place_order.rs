//! Places an order, or with `--dry-run` only validates it (`isMock=true`, nothing is bought).
//!
//! ```text
//! cargo run -p pax8 --example place_order -- --dry-run   # offline, against the sandbox
//! PAX8_CLIENT_ID=... PAX8_CLIENT_SECRET=... cargo run -p pax8 --example place_order -- \
//!     --dry-run --company <companyId> --product <productId>
//! ```
//!
//! A real order is never retried automatically (Pax8 has no idempotency key). If it fails with
//! an unknown outcome, the example lists the company's orders so you can check before retrying.

mod common;

use pax8::{CompanyId, ListOrders, ProductId};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dry_run = std::env::args().any(|a| a == "--dry-run");
    let (client, sandbox) = common::client().await?;
    let order = match (arg("--company"), arg("--product")) {
        (Some(c), Some(p)) => pax8::recording::sample_order(CompanyId::from(c), ProductId::from(p)),
        _ if dry_run => pax8::recording::sample_order(
            "11111111-2222-4333-8444-555555555555".into(),
            "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee".into(),
        ),
        _ => pax8::recording::example_order(),
    };
    if sandbox.is_none() && !dry_run && !std::env::args().any(|a| a == "--yes") {
        eprintln!("refusing to place a real order without --yes (use --dry-run to validate)");
        std::process::exit(2);
    }
    let result = if dry_run {
        client.orders().validate(&order).await
    } else {
        client.orders().create(&order).await
    };
    match result {
        Ok(o) => {
            println!(
                "{} for company {}: {} line(s)",
                if dry_run {
                    "order is valid"
                } else {
                    "order placed"
                },
                o.company_id.as_ref().map(|c| c.as_str()).unwrap_or("-"),
                o.line_items.len()
            );
            for l in &o.line_items {
                println!(
                    "  {} x {} ({}) subscription {}",
                    l.quantity.unwrap_or_default(),
                    l.product_id.as_ref().map(|p| p.as_str()).unwrap_or("-"),
                    l.billing_term.as_ref().map(|b| b.as_str()).unwrap_or("-"),
                    l.subscription_id
                        .as_ref()
                        .map(|s| s.as_str())
                        .unwrap_or("-")
                );
            }
        }
        Err(e) if e.is_outcome_unknown() => {
            eprintln!("the order may or may not have been placed: {e}");
            let page = client
                .orders()
                .list(ListOrders::new().company_id(order.company_id.clone()))
                .await?;
            eprintln!(
                "the company has {} order(s); check them before retrying",
                page.content.len()
            );
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("order rejected: {e}");
            for d in e.api_error().map(|a| a.details()).unwrap_or_default() {
                eprintln!("  {}", d.message.as_deref().unwrap_or("-"));
            }
            std::process::exit(1);
        }
    }
    Ok(())
}

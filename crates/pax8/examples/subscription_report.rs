//! A per-product report of active subscriptions: count, seats, monthly revenue, cost and margin,
//! summed exactly with `Decimal`. Pages are prefetched 4 ahead.
//!
//! ```text
//! cargo run -p pax8 --example subscription_report       # offline, against the sandbox
//! PAX8_CLIENT_ID=... PAX8_CLIENT_SECRET=... cargo run -p pax8 --example subscription_report
//! ```

mod common;

use std::collections::BTreeMap;

use futures::StreamExt;
use pax8::model::SubscriptionStatus;
use pax8::subscriptions::ListSubscriptions;
use rust_decimal::Decimal;

#[derive(Default)]
struct Row {
    subscriptions: u32,
    seats: Decimal,
    revenue: Decimal,
    cost: Decimal,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _sandbox) = common::client().await?;
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut stream = client
        .subscriptions()
        .list_all(ListSubscriptions::new().status(SubscriptionStatus::Active))
        .prefetch(4);
    while let Some(sub) = stream.next().await {
        let sub = sub?;
        let name = sub
            .product_name
            .clone()
            .or_else(|| sub.product_id.as_ref().map(|p| p.to_string()))
            .unwrap_or_else(|| "(unknown product)".into());
        let qty = sub.quantity.unwrap_or_default();
        let row = rows.entry(name).or_default();
        row.subscriptions += 1;
        row.seats += qty;
        row.revenue += sub.price.unwrap_or_default() * qty;
        row.cost += sub.partner_cost.unwrap_or_default() * qty;
    }
    println!(
        "{:<32} {:>6} {:>8} {:>12} {:>12} {:>12}",
        "product", "subs", "seats", "revenue", "cost", "margin"
    );
    let mut total = Row::default();
    for (name, r) in &rows {
        println!(
            "{:<32} {:>6} {:>8} {:>12} {:>12} {:>12}",
            name,
            r.subscriptions,
            r.seats,
            r.revenue.round_dp(2),
            r.cost.round_dp(2),
            (r.revenue - r.cost).round_dp(2)
        );
        total.subscriptions += r.subscriptions;
        total.seats += r.seats;
        total.revenue += r.revenue;
        total.cost += r.cost;
    }
    println!(
        "{:<32} {:>6} {:>8} {:>12} {:>12} {:>12}",
        "TOTAL",
        total.subscriptions,
        total.seats,
        total.revenue.round_dp(2),
        total.cost.round_dp(2),
        (total.revenue - total.cost).round_dp(2)
    );
    Ok(())
}

//! Stock report: every article with tracked stock, its stock value at purchase price, and the
//! articles below a minimum.
//!
//! ```text
//! cargo run -p cloudspot --example stock_report            # offline, against the fixtures
//! CLOUDSPOT_TOKEN=... cargo run -p cloudspot --example stock_report -- 5   # live, minimum 5
//! ```

#[path = "support/mod.rs"]
mod support;

use cloudspot::{Article, Decimal, StockTracking};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let minimum: Decimal = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(Decimal::from(10));
    let backend = support::backend().await?;
    let articles = backend.client.articles().list().await?;

    println!(
        "{:<14} {:<28} {:<11} {:>8} {:>10} {:>12}",
        "SKU", "name", "tracking", "stock", "buy excl", "stock value"
    );
    let mut total = Decimal::ZERO;
    let mut low: Vec<&Article> = Vec::new();
    for a in &articles {
        let tracking = a
            .stock_tracking
            .as_ref()
            .map(|t| t.label().into_owned()) // English ("Physical"), not the wire's FYSIEK
            .unwrap_or_else(|| "-".into());
        let value = match (
            a.stock_tracking.as_ref(),
            a.stock,
            a.purchase_price_excl_vat,
        ) {
            (Some(StockTracking::Physical), Some(stock), Some(price)) => Some(stock * price),
            _ => None,
        };
        total += value.unwrap_or_default();
        if a.tracks_physical_stock() && a.stock.unwrap_or_default() < minimum {
            low.push(a);
        }
        println!(
            "{:<14} {:<28} {:<11} {:>8} {:>10} {:>12}",
            a.sku.as_deref().unwrap_or("-"),
            truncate(a.name.as_deref().unwrap_or("-"), 28),
            tracking,
            a.stock
                .map(|s| s.normalize().to_string())
                .unwrap_or_default(),
            a.purchase_price_excl_vat
                .map(|p| format!("{p:.2}"))
                .unwrap_or_default(),
            value.map(|v| format!("{v:.2}")).unwrap_or_default(),
        );
    }
    println!(
        "\n{} articles, stock value {total:.2} (excl. VAT)",
        articles.len(),
    );
    println!("{} tracked article(s) below {minimum}:", low.len());
    for a in low {
        println!(
            "  {} {}",
            a.sku.as_deref().unwrap_or("-"),
            a.name.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max - 1).chain(['…']).collect()
    }
}

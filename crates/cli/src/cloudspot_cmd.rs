//! `billing cloudspot …`: Cloudspot ERP.

use anyhow::Context as _;
use billing_sandbox::{Sandbox, Vendor};
use clap::Subcommand;
use cloudspot::{Article, Category, Customer, StockTracking};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::config::{self, Source};
use crate::login::VendorArg;
use crate::output::{Emitter, Record, opt, opt_money, opt_quantity};
use crate::{Global, NotFound};

#[derive(Subcommand, Debug)]
pub enum CloudspotCommand {
    /// Articles with stock and prices (one request: Cloudspot has no paging or filters, so
    /// --sku and --out-of-stock filter the list on this side).
    Articles {
        /// Only the article with exactly this SKU (exit code 3 when none has it).
        #[arg(long, value_name = "S")]
        sku: Option<String>,
        /// Only articles whose stock is tracked and at zero or below (articles without stock
        /// tracking, and digital ones, are never out of stock).
        #[arg(long)]
        out_of_stock: bool,
    },
    /// Customers (name, company, city, number).
    Customers,
    /// Categories, flattened: each with its parent.
    Categories,
}

async fn client(g: &Global) -> anyhow::Result<(cloudspot::Client, Option<Sandbox>)> {
    if g.sandbox {
        let sb = Sandbox::start(Vendor::Cloudspot)
            .await
            .context("starting the sandbox")?;
        let client = cloudspot::Client::builder("sandbox-token")
            .base_url(sb.url())
            .build()?;
        return Ok((client, Some(sb)));
    }
    let client = match config::source(g, VendorArg::Cloudspot, &[cloudspot::TOKEN_ENV], |p| {
        p.cloudspot_token.is_some()
    })? {
        Source::Env => cloudspot::Client::from_env()?,
        Source::Profile(name, p) => {
            let mut b =
                cloudspot::Client::builder(p.need(&name, "cloudspot_token", &p.cloudspot_token)?);
            if let Some(url) = p.cloudspot_base_url {
                b = b.base_url(url);
            }
            b.build()?
        }
    };
    Ok((client, None))
}

/// Out of stock: stock tracked (physically, or tracking not said) and at zero or below.
fn out_of_stock(a: &Article) -> bool {
    let tracked = a
        .stock_tracking
        .as_ref()
        .is_none_or(|t| *t == StockTracking::Physical);
    tracked && a.stock.is_some_and(|s| s <= Decimal::ZERO)
}

/// Runs a `billing cloudspot` command.
pub async fn run(cmd: CloudspotCommand, g: &Global) -> anyhow::Result<()> {
    let (client, _sandbox) = client(g).await?;
    let format = g.format();
    match cmd {
        CloudspotCommand::Articles {
            sku,
            out_of_stock: oos,
        } => {
            let articles = client.articles().list().await?;
            let mut out = Emitter::new(format)?;
            if let Some(sku) = &sku {
                let found = cloudspot::find_article_by_sku(&articles, sku)
                    .filter(|a| !oos || out_of_stock(a))
                    .ok_or_else(|| NotFound(format!("no article has the SKU {sku:?}")))?;
                out.item(found)?;
            } else {
                out.items(articles.iter().filter(|a| !oos || out_of_stock(a)))?;
            }
            out.finish()?;
        }
        CloudspotCommand::Customers => {
            let customers = client.customers().list().await?;
            let mut out = Emitter::new(format)?;
            out.items(&customers)?;
            out.finish()?;
        }
        CloudspotCommand::Categories => {
            let categories = client.categories().list().await?;
            let mut rows = Vec::new();
            flatten(&categories, None, &mut rows);
            let mut out = Emitter::new(format)?;
            out.items(&rows)?;
            out.finish()?;
        }
    }
    Ok(())
}

/// A category with its parent (`cloudspot categories`).
#[derive(Serialize)]
struct CategoryRow {
    id: Option<i64>,
    name: Option<String>,
    parent_id: Option<i64>,
}

fn flatten(categories: &[Category], parent: Option<i64>, out: &mut Vec<CategoryRow>) {
    for c in categories {
        let id = c.id.map(|i| i.get());
        out.push(CategoryRow {
            id,
            name: c.name.clone(),
            parent_id: parent,
        });
        flatten(&c.children, id, out);
    }
}

impl Record for CategoryRow {
    const HEADER: &'static [&'static str] = &["id", "name", "parent"];
    const NUMERIC: &'static [usize] = &[0, 2];
    fn cells(&self) -> Vec<String> {
        vec![opt(self.id), opt(self.name.as_deref()), opt(self.parent_id)]
    }
}

impl Record for Article {
    const HEADER: &'static [&'static str] = &[
        "sku",
        "name",
        "stock",
        "price excl. VAT",
        "price incl. VAT",
        "status",
        "id",
    ];
    const NUMERIC: &'static [usize] = &[2, 3, 4, 6];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.sku.as_deref()),
            opt(self.name.as_deref()),
            opt_quantity(self.stock),
            opt_money(self.sales_price_excl_vat),
            opt_money(self.sales_price_incl_vat),
            opt(self.status.as_ref().map(|s| s.label())),
            opt(self.id.map(|i| i.get())),
        ]
    }
}

impl Record for Customer {
    const HEADER: &'static [&'static str] = &["number", "name", "company", "city", "country"];
    const NUMERIC: &'static [usize] = &[0];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.customer_number.as_ref()),
            opt(self.person_name()),
            opt(self.company_name.as_deref()),
            opt(self.city.as_deref()),
            opt(self.country.as_deref()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untracked_and_digital_articles_are_never_out_of_stock() {
        let mut a = Article::default();
        a.stock = Some(Decimal::ZERO);
        assert!(out_of_stock(&a), "tracking not said, stock 0");
        a.stock_tracking = Some(StockTracking::Physical);
        assert!(out_of_stock(&a));
        a.stock_tracking = Some(StockTracking::NotTracked);
        assert!(!out_of_stock(&a));
        a.stock_tracking = Some(StockTracking::Digital);
        assert!(!out_of_stock(&a));
        a.stock_tracking = Some(StockTracking::Physical);
        a.stock = Some(Decimal::ONE);
        assert!(!out_of_stock(&a));
        a.stock = None;
        assert!(!out_of_stock(&a));
    }
}

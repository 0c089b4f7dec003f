//! `billing pax8 …`: the Pax8 Partner API.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use billing_sandbox::{Sandbox, Vendor};
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use clap::{Args, Subcommand};
use futures::StreamExt as _;
use pax8::model::{
    BillingTerm, CommitmentId, CompanyId, CompanyStatus, CreateLineItem, CreateOrder,
    InvoiceStatus, OrderedBy, ProductId, ProvisioningValue, SubscriptionId, SubscriptionStatus,
};
use pax8::{ListCompanies, ListInvoices, ListOrders, ListSubscriptions, ListUsageSummaries};
use serde::Deserialize;

use crate::config::{self, Source};
use crate::login::VendorArg;
use crate::output::{Emitter, Format, Record, opt, opt_money, opt_quantity};
use crate::{Global, UsageError};

/// Pages fetched ahead while the current one is written.
const PREFETCH: usize = 4;

/// A clap parser for one of the crate's wire enums: the known values (shown in `--help` and
/// completed by the shells), turned into the enum.
macro_rules! wire {
    ($ty:ty) => {
        PossibleValuesParser::new(<$ty>::known_values().iter().copied())
            .map(|s: String| <$ty>::from_wire(&s))
    };
}

#[derive(Subcommand, Debug)]
pub enum Pax8Command {
    /// Companies (customers), every page.
    Companies(CompanyFilter),
    /// One company by id (exit code 3 when Pax8 does not know it).
    Company {
        /// The company id.
        id: String,
    },
    /// Subscriptions, every page; e.g. `--status Active` for the active ones.
    Subscriptions(SubscriptionFilter),
    /// Orders, every page (Pax8 has no status filter on orders).
    Orders {
        /// Only this company's orders.
        #[arg(long, value_name = "ID")]
        company: Option<String>,
    },
    /// Invoices, every page.
    Invoices {
        /// Only invoices with this status.
        #[arg(long, value_parser = wire!(InvoiceStatus))]
        status: Option<InvoiceStatus>,
        /// Only this company's invoices.
        #[arg(long, value_name = "ID")]
        company: Option<String>,
    },
    /// Usage summaries of one subscription (usage-based products), every page.
    Usage {
        /// The subscription id.
        #[arg(long, value_name = "ID")]
        subscription: String,
        /// Only this resource group.
        #[arg(long)]
        resource_group: Option<String>,
        /// Only this company's summaries.
        #[arg(long, value_name = "ID")]
        company: Option<String>,
    },
    /// Checks an order (`--dry-run`: Pax8 validates it, nothing is bought) or places it
    /// (`--yes`). FILE is the order as JSON, in the wire's camelCase: `{"companyId": "…",
    /// "lineItems": [{"productId": "…", "quantity": 3, "billingTerm": "Monthly"}]}`.
    Order {
        /// The order, as JSON.
        file: PathBuf,
        /// Only validate the order (`isMock=true`).
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
        /// Really place the order (it is never re-sent: on an unclear failure, check
        /// `billing pax8 orders --company ID` before trying again).
        #[arg(long)]
        yes: bool,
    },
}

/// Filters of `pax8 companies`.
#[derive(Args, Debug)]
pub struct CompanyFilter {
    /// Only companies in this city.
    #[arg(long)]
    city: Option<String>,
    /// Only companies in this country.
    #[arg(long)]
    country: Option<String>,
    /// Only companies with this status.
    #[arg(long, value_parser = wire!(CompanyStatus))]
    status: Option<CompanyStatus>,
}

/// Filters of `pax8 subscriptions`.
#[derive(Args, Debug)]
pub struct SubscriptionFilter {
    /// Only subscriptions with this status.
    #[arg(long, value_parser = wire!(SubscriptionStatus))]
    status: Option<SubscriptionStatus>,
    /// Only subscriptions on this billing term.
    #[arg(long, value_parser = wire!(BillingTerm))]
    billing_term: Option<BillingTerm>,
    /// Only this company's subscriptions.
    #[arg(long, value_name = "ID")]
    company: Option<String>,
    /// Only subscriptions of this product.
    #[arg(long, value_name = "ID")]
    product: Option<String>,
}

async fn client(g: &Global) -> anyhow::Result<(pax8::Client, Option<Sandbox>)> {
    if g.sandbox {
        let sb = Sandbox::start(Vendor::Pax8)
            .await
            .context("starting the sandbox")?;
        let client = pax8::Client::builder()
            .credentials("sandbox-client-id", "sandbox-client-secret")
            .base_url(sb.url())
            .token_url(sb.url_for("token"))
            .build()?;
        return Ok((client, Some(sb)));
    }
    let builder = match config::source(
        g,
        VendorArg::Pax8,
        &[pax8::client::ENV_CLIENT_ID, pax8::client::ENV_CLIENT_SECRET],
        |p| p.pax8_client_id.is_some(),
    )? {
        Source::Env => pax8::Client::builder_from_env()?,
        Source::Profile(name, p) => {
            let mut b = pax8::Client::builder().credentials(
                p.need(&name, "pax8_client_id", &p.pax8_client_id)?,
                p.need(&name, "pax8_client_secret", &p.pax8_client_secret)?,
            );
            if let Some(url) = p.pax8_base_url {
                b = b.base_url(url);
            }
            if let Some(url) = p.pax8_token_url {
                b = b.token_url(url);
            }
            b
        }
    };
    // one token request per token lifetime (a day), not per command; without a home folder
    // (a bare container) the token lives as long as the command
    let builder = match pax8::FileStore::default_location() {
        Ok(store) => builder.token_store(Arc::new(store)),
        Err(e) => {
            eprintln!("billing: pax8 tokens are not cached between runs: {e}");
            builder
        }
    };
    Ok((builder.build()?, None))
}

/// Writes every item of a lazy walk as it arrives (memory bounded by the prefetched pages).
async fn walk<T>(paginator: pax8::Paginator<T>, format: Format, quiet: bool) -> anyhow::Result<()>
where
    T: Record + pax8::model::Model + Send + 'static,
{
    let bar = crate::output::progress(None, "items", quiet);
    let mut stream = paginator.prefetch(PREFETCH);
    let mut out = Emitter::new(format)?;
    while let Some(item) = stream.next().await {
        out.item(&item?)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    out.finish()?;
    Ok(())
}

/// Runs a `billing pax8` command.
pub async fn run(cmd: Pax8Command, g: &Global) -> anyhow::Result<()> {
    let format = g.format();
    // checked before anything is started
    if let Pax8Command::Order { dry_run, yes, .. } = &cmd
        && !dry_run
        && !yes
    {
        return Err(UsageError(
            "`pax8 order` needs --dry-run (validate only) or --yes (place the order)".into(),
        )
        .into());
    }
    let (client, _sandbox) = client(g).await?;
    match cmd {
        Pax8Command::Companies(f) => {
            let mut q = ListCompanies::new();
            q.city = f.city;
            q.country = f.country;
            q.status = f.status;
            walk(client.companies().list_all(q), format, g.quiet).await?;
        }
        Pax8Command::Company { id } => {
            let company = client.companies().get(CompanyId::from(id)).await?;
            let mut out = Emitter::new(format)?;
            out.item(&company)?;
            out.finish()?;
        }
        Pax8Command::Subscriptions(f) => {
            let mut q = ListSubscriptions::new();
            q.status = f.status;
            q.billing_term = f.billing_term;
            q.company_id = f.company.map(CompanyId::from);
            q.product_id = f.product.map(ProductId::from);
            walk(client.subscriptions().list_all(q), format, g.quiet).await?;
        }
        Pax8Command::Orders { company } => {
            let mut q = ListOrders::new();
            q.company_id = company.map(CompanyId::from);
            walk(client.orders().list_all(q), format, g.quiet).await?;
        }
        Pax8Command::Invoices { status, company } => {
            // newest first, as Pax8's own portal lists them
            let mut q = ListInvoices::new().sort_raw("invoiceDate,desc".to_owned());
            q.status = status;
            q.company_id = company.map(CompanyId::from);
            walk(client.invoices().list_all(q), format, g.quiet).await?;
        }
        Pax8Command::Usage {
            subscription,
            resource_group,
            company,
        } => {
            let mut q = ListUsageSummaries::new();
            q.resource_group = resource_group;
            q.company_id = company.map(CompanyId::from);
            let walker = client
                .subscriptions()
                .usage_summaries_all(SubscriptionId::from(subscription), q);
            walk(walker, format, g.quiet).await?;
        }
        Pax8Command::Order { file, dry_run, .. } => {
            let text = std::fs::read_to_string(&file).map_err(|e| crate::file_error(&file, e))?;
            let order: OrderFile = serde_json::from_str(&text)
                .map_err(|e| UsageError(format!("{} is not an order: {e}", file.display())))?;
            let order = order.into_order();
            let answer = if dry_run {
                client.orders().validate(&order).await?
            } else {
                client.orders().create(&order).await?
            };
            let mut out = Emitter::new(format)?;
            out.item(&answer)?;
            out.finish()?;
            if dry_run {
                eprintln!("valid order: nothing was bought (dry run)");
            }
        }
    }
    Ok(())
}

/// The JSON file of `pax8 order`: the wire's `CreateOrder` body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OrderFile {
    company_id: String,
    #[serde(default)]
    ordered_by: Option<OrderedBy>,
    #[serde(default)]
    ordered_by_user_email: Option<String>,
    line_items: Vec<LineFile>,
}

/// One line of [`OrderFile`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LineFile {
    product_id: String,
    quantity: u32,
    billing_term: BillingTerm,
    #[serde(default)]
    line_item_number: Option<u32>,
    #[serde(default)]
    commitment_term_id: Option<String>,
    #[serde(default)]
    provision_start_date: Option<chrono::DateTime<chrono::FixedOffset>>,
    #[serde(default)]
    parent_subscription_id: Option<String>,
    #[serde(default)]
    parent_line_item_number: Option<u32>,
    #[serde(default)]
    provisioning_details: Vec<ProvisioningValue>,
}

impl OrderFile {
    fn into_order(self) -> CreateOrder {
        let mut order = CreateOrder::new(self.company_id);
        if let Some(by) = self.ordered_by {
            order = order.ordered_by(by);
        }
        if let Some(email) = self.ordered_by_user_email {
            order = order.ordered_by_user_email(email);
        }
        for l in self.line_items {
            let mut line = CreateLineItem::new(l.product_id, l.quantity, l.billing_term);
            if let Some(n) = l.line_item_number {
                line = line.number(n);
            }
            if let Some(c) = l.commitment_term_id {
                line = line.commitment(CommitmentId::from(c));
            }
            if let Some(at) = l.provision_start_date {
                line = line.provision_start(at);
            }
            if let Some(s) = l.parent_subscription_id {
                line = line.parent_subscription(s);
            }
            if let Some(n) = l.parent_line_item_number {
                line = line.parent_line(n);
            }
            for p in l.provisioning_details {
                line = line.provisioning(p);
            }
            order = order.line(line);
        }
        order
    }
}

impl Record for pax8::model::Company {
    const HEADER: &'static [&'static str] = &["name", "city", "country", "status", "id"];
    fn cells(&self) -> Vec<String> {
        let address = self.address.as_ref();
        vec![
            opt(self.name.as_deref()),
            opt(address.and_then(|a| a.city.as_deref())),
            opt(address.and_then(|a| a.country.as_deref())),
            opt(self.status.as_ref().map(|s| s.label())),
            opt(self.id.as_ref()),
        ]
    }
}

impl Record for pax8::model::Subscription {
    const HEADER: &'static [&'static str] = &[
        "product",
        "quantity",
        "price",
        "currency",
        "billing term",
        "status",
        "company",
        "id",
    ];
    const NUMERIC: &'static [usize] = &[1, 2];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.product_name.as_deref()),
            opt_quantity(self.quantity),
            opt_money(self.price),
            opt(self.currency_code.as_deref()),
            opt(self.billing_term.as_ref().map(|b| b.label())),
            opt(self.status.as_ref().map(|s| s.label())),
            opt(self.company_id.as_ref()),
            opt(self.id.as_ref()),
        ]
    }
}

impl Record for pax8::model::Order {
    const HEADER: &'static [&'static str] = &["created", "company", "lines", "ordered by", "id"];
    const NUMERIC: &'static [usize] = &[2];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.created_date.as_ref()),
            opt(self.company_id.as_ref()),
            self.line_items.len().to_string(),
            opt(self.ordered_by.as_ref().map(|b| b.label())),
            opt(self.id.as_ref()),
        ]
    }
}

impl Record for pax8::model::Invoice {
    const HEADER: &'static [&'static str] = &[
        "date", "due", "status", "total", "balance", "currency", "company", "id",
    ];
    const NUMERIC: &'static [usize] = &[3, 4];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.invoice_date.as_ref().and_then(|d| d.date())),
            opt(self.due_date.as_ref().and_then(|d| d.date())),
            opt(self.status.as_ref().map(|s| s.label())),
            opt_money(self.total),
            opt_money(self.balance),
            opt(self.currency_code.as_deref()),
            opt(self.company_id.as_ref()),
            opt(self.id.as_ref()),
        ]
    }
}

impl Record for pax8::model::UsageSummary {
    const HEADER: &'static [&'static str] = &[
        "resource group",
        "vendor",
        "current charges",
        "partner total",
        "currency",
        "trial",
        "id",
    ];
    const NUMERIC: &'static [usize] = &[2, 3];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.resource_group.as_deref()),
            opt(self.vendor_name.as_deref()),
            opt_money(self.current_charges),
            opt_money(self.partner_total),
            opt(self.currency_code.as_deref()),
            opt(self.is_trial.map(crate::output::yes_no)),
            opt(self.id.as_ref()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_file_becomes_the_wire_body() -> Result<(), Box<dyn std::error::Error>> {
        let file: OrderFile = serde_json::from_str(
            r#"{"companyId":"c-1","lineItems":[{"productId":"p-1","quantity":3,"billingTerm":"Annual","commitmentTermId":"k-1"}]}"#,
        )?;
        let body = serde_json::to_value(file.into_order().prepared()?)?;
        assert_eq!(body["companyId"], "c-1");
        assert_eq!(body["lineItems"][0]["productId"], "p-1");
        assert_eq!(body["lineItems"][0]["quantity"], 3);
        assert_eq!(body["lineItems"][0]["billingTerm"], "Annual");
        assert_eq!(body["lineItems"][0]["commitmentTermId"], "k-1");
        assert_eq!(body["lineItems"][0]["companyId"], "c-1");
        Ok(())
    }

    #[test]
    fn an_order_file_with_a_misspelt_key_is_refused() {
        let r: Result<OrderFile, _> = serde_json::from_str(r#"{"companyID":"c-1","lineItems":[]}"#);
        assert!(r.is_err());
    }
}

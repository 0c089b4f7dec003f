//! Book-keeping over orders and invoices: services and prices, orders and their lines,
//! invoices with their per-account totals and detailed sections.
//!
//! Offline (default): runs against the in-process sandbox serving the hand-built cassettes of
//! `fixtures/ppms/`. Live: set `PPMS_URL` (the site URL) and `PPMS_API_KEY`; it only reads.
//!
//! ```sh
//! cargo run -p ppms --example book_keeping
//! ```

use billing_sandbox::Sandbox;
use ppms::{Client, CoreFacilityId, InvoiceDetailsOptions, OptionalExt, invoice_date};

const CASSETTES: &[&str] = &[
    "ppms/getservices.json",
    "ppms/getpriceslist.json",
    "ppms/getorders.json",
    "ppms/getorderlines.json",
    "ppms/getinvoicelist.json",
    "ppms/getinvoice.json",
    "ppms/getinvoicedetails.json",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _sandbox = None;
    let client = match Client::from_env() {
        Ok(client) => client,
        // PPMS_URL or PPMS_API_KEY is not set: run offline
        Err(e) if e.core().and_then(|c| c.missing_env_var()).is_some() => {
            let mut b = Sandbox::builder("ppms").scrub_config(ppms::recording::scrub_config());
            for c in CASSETTES {
                b = b.cassette(c)?;
            }
            let sb = b.start().await?;
            println!("sandbox at {}", sb.url());
            let c = Client::builder(sb.url()).api_key("sandbox").build()?;
            _sandbox = Some(sb);
            c
        }
        Err(e) => return Err(e.into()),
    };
    let core = CoreFacilityId(3);

    let services = client.orders().services(Some(core)).await?;
    let prices = client.orders().price_list().await?;
    println!("services of core {core}:");
    for s in &services {
        // Price-list service ids are offset by core id × 10000 (PPMS-Q43).
        let price = prices
            .iter()
            .find(|p| p.global_service_id(core) == u64::from(s.service_id.0));
        println!(
            "  {:>5} {:<20} active={:<5} price={}",
            s.service_id,
            s.name,
            s.active,
            price.map_or("-".to_owned(), |p| p.price.to_string())
        );
    }

    let orders = client.orders().list().await?;
    println!(
        "{} orders ({} rows skipped)",
        orders.len(),
        orders.warnings.len()
    );
    for o in &orders {
        println!(
            "  #{} {} {} ordered {:?}",
            o.order_ref,
            o.user.as_deref().unwrap_or("-"),
            o.status.as_deref().unwrap_or("-"),
            o.ordered_on()
        );
    }
    if let Some(first) = orders.first() {
        for line in client.orders().lines(first.order_ref).await?.iter() {
            println!(
                "    line {} service {:?} × {}",
                line.order_id.as_deref().unwrap_or("-"),
                line.service_id,
                line.quantity.unwrap_or_default()
            );
        }
    }

    let invoices = client.invoices().list().await?;
    println!("{} invoices", invoices.len());
    if let Some(id) = invoices.first() {
        println!("  {id} dated {:?}", invoice_date(id));
        // an empty answer (nothing to show) is a not-found error; `optional()` makes it `None`
        for t in client
            .invoices()
            .get(id)
            .await
            .optional()?
            .unwrap_or_default()
        {
            println!("    account {:<10} {:>10}", t.account, t.amount);
        }
        if let Some(details) = client
            .invoices()
            .details(id, &InvoiceDetailsOptions::default())
            .await
            .optional()?
        {
            for section in &details.sections {
                println!(
                    "    section {:?}: {} rows",
                    section.header().name(0),
                    section.len()
                );
            }
            println!("    total of Final Amount: {}", details.total()?);
        }
    }
    Ok(())
}
